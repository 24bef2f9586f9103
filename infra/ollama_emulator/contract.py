"""Holding the stand-in to Ollama's documented API: check recorded exchanges against the contract.

The contract is api_contract.json. `problems(record)` takes a record of the
request log (state.RequestLog) and returns what does not match the documented
shape, empty when all is well.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

CONTRACT_PATH = Path(__file__).with_name("api_contract.json")
# The OpenAI-compatible routes are held to a subset of OpenAI's API description
# (github.com/openai/openai-openapi, openapi.json 2.3.0 at f85dbe2): its component
# schemas for these routes, references resolved, descriptions dropped.
OPENAI_CONTRACT_PATH = Path(__file__).with_name("openai_contract.json")
_OPENAI: dict[tuple[str, str], str] = {
    ("GET", "/v1/models"): "ListModelsResponse",
    ("POST", "/v1/chat/completions"): "CreateChatCompletionResponse",
}

# (method, path) -> definition of a 2xx JSON answer; chat and generate are
# resolved by _completion_definitions because a stream has two shapes.
_PLAIN: dict[tuple[str, str], str] = {
    ("GET", "/api/version"): "VersionResponse",
    ("GET", "/api/tags"): "ListResponse",
    ("GET", "/api/ps"): "PsResponse",
    ("POST", "/api/show"): "ShowResponse",
    ("POST", "/api/chat"): "ChatResponse",
    ("POST", "/api/generate"): "GenerateResponse",
}
_STREAM_EVENT = {"/api/chat": "ChatStreamEvent", "/api/generate": "GenerateStreamEvent"}
_HEALTH_TEXT = "Ollama is running"


@cache
def contract() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(loaded)
    return loaded


@cache
def _validator(definition: str) -> Draft202012Validator:
    document = contract()
    if definition not in document["$defs"]:
        raise KeyError(f"api_contract.json has no definition {definition}")
    schema = {**document, "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(schema)


def check(definition: str, body: Any, where: str) -> list[str]:
    """Mismatches of `body` against one definition, each prefixed with `where`."""
    return [
        f"{where}: {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in _validator(definition).iter_errors(body)
    ]


@cache
def _openai_validator(definition: str) -> Draft202012Validator:
    schemas: dict[str, Any] = json.loads(OPENAI_CONTRACT_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schemas[definition])
    return Draft202012Validator(schemas[definition])


def _openai_check(definition: str, body: Any, where: str) -> list[str]:
    return [
        f"{where}: {'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in _openai_validator(definition).iter_errors(body)
    ]


def openai_problems(record: dict[str, Any]) -> list[str]:
    """An exchange of the OpenAI-compatible routes against OpenAI's description: the request's
    messages and tools, and the answer (an error in OpenAI's error shape)."""
    method, path, status = record["method"], record["path"], record["status"]
    where = f"{method} {path} -> {status}"
    found: list[str] = []
    body = record.get("body")
    if path == "/v1/chat/completions" and isinstance(body, dict):
        for index, message in enumerate(body.get("messages") or []):
            found += _openai_check(
                "ChatCompletionRequestMessage", message, f"{where} message {index}"
            )
        for index, tool in enumerate(body.get("tools") or []):
            found += _openai_check("ChatCompletionTool", tool, f"{where} tool {index}")
    if status >= 400:
        return found + _openai_check("ErrorResponse", record.get("response"), where)
    definition = _OPENAI.get((method, path))
    if definition is None:
        return [*found, f"{where}: not an endpoint of the OpenAI-compatible API served"]
    return found + _openai_check(definition, record.get("response"), where)


def problems(record: dict[str, Any]) -> list[str]:
    method, path, status = record["method"], record["path"], record["status"]
    where = f"{method} {path} -> {status}"
    if path.startswith("/v1/"):
        return openai_problems(record)
    if path == "/" and method in ("GET", "HEAD"):
        ok = status == 200 and record.get("response") == _HEALTH_TEXT
        return [] if ok else [f"{where}: the health check answers 200 {_HEALTH_TEXT!r}"]
    if status >= 400:
        if record.get("streamed"):
            return [f"{where}: an error is one JSON object, never a stream"]
        return check("ErrorResponse", record.get("response"), where)
    definition = _PLAIN.get((method, path))
    if definition is None:
        return [f"{where}: not an endpoint of Ollama's documented API"]
    if not record.get("streamed"):
        return check(definition, record.get("response"), where)
    chunks = record.get("chunks") or []
    if not chunks:
        return [f"{where}: a stream needs at least its final object"]
    found: list[str] = []
    for index, chunk in enumerate(chunks[:-1]):
        found += check(_STREAM_EVENT[path], chunk, f"{where} chunk {index}")
    # A stream ends with the final object, or with an error line when generation failed.
    final = "ErrorResponse" if "error" in chunks[-1] else definition
    found += check(final, chunks[-1], f"{where} final chunk")
    return found
