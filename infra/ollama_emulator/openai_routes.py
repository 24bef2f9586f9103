"""OpenAI-compatible routes, as Ollama serves them (and llama.cpp's server, vLLM, LM Studio).

    GET  /v1/models             the scenario's models, as OpenAI's ListModelsResponse
    POST /v1/chat/completions   the same scripted replies as /api/chat, in OpenAI's shapes

A request is translated to the /api/chat request it stands for (tool calls'
JSON-string arguments parsed, tool results named by the call they answer) and
answered by the same code, so a scenario plays the same through either API;
the answer is translated back. Streaming is not served: Bzzz asks with
`stream: false`. Errors have OpenAI's shape, `{"error": {"message", "type",
"param", "code"}}`. The shapes are held to the subset of OpenAI's API
description in `openai_contract.json` (tests/integration/test_ollama_emulator_openai.py).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from infra.ollama_emulator import completion_routes
from infra.ollama_emulator.errors import OllamaEmulatorError
from infra.ollama_emulator.exchange import Outcome
from infra.ollama_emulator.state import EmulatorState

CREATED = 1_700_000_000  # a fixed "created" for every model: the scenario has no dates


def _error(status: int, message: str, kind: str = "invalid_request_error") -> Outcome:
    code = "model_not_found" if status == 404 else None
    error = {"message": message, "type": kind, "param": None, "code": code}
    return Outcome(status=status, body={"error": error})


async def models(state: EmulatorState, _body: Any) -> Outcome:
    data = [
        {"id": m.name, "object": "model", "created": CREATED, "owned_by": "library"}
        for m in state.scenario.models
    ]
    return Outcome(body={"object": "list", "data": data})


def ollama_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI's chat messages as /api/chat's: arguments as objects, tool results by name."""
    names: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        converted: dict[str, Any] = {"role": role, "content": _text(message.get("content"))}
        if role == "assistant" and message.get("tool_calls"):
            calls = []
            for call in message["tool_calls"]:
                function = call.get("function") or {}
                names[str(call.get("id"))] = str(function.get("name"))
                try:
                    arguments = json.loads(function.get("arguments") or "{}")
                except json.JSONDecodeError:
                    arguments = {}
                calls.append({"function": {"name": function.get("name"), "arguments": arguments}})
            converted["tool_calls"] = calls
        if role == "tool":
            converted["tool_name"] = names.get(str(message.get("tool_call_id")), "")
        out.append(converted)
    return out


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts: the text ones
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


async def chat_completions(state: EmulatorState, body: Any) -> Outcome:
    if not isinstance(body, dict):
        return _error(400, "the request body must be a JSON object")
    if body.get("stream"):
        return _error(400, "this stand-in serves stream: false only")
    messages = body.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return _error(400, "messages must be a list of objects")
    request: dict[str, Any] = {
        "model": body.get("model"),
        "messages": ollama_messages(messages),
        "stream": False,
    }
    if body.get("tools"):
        request["tools"] = body["tools"]
    if isinstance(body.get("max_tokens"), int):
        request["options"] = {"num_predict": body["max_tokens"]}
    try:
        answer = await completion_routes.chat(state, request)
    except OllamaEmulatorError as exc:
        kind = "invalid_request_error" if exc.status < 500 else "server_error"
        return _error(exc.status, str(exc), kind)
    if answer.status != 200:
        message = (answer.body or {}).get("error", "error")
        kind = "invalid_request_error" if answer.status < 500 else "server_error"
        return _error(answer.status, str(message), kind)
    return Outcome(body=_completion(answer.body), delay=answer.delay, notes=answer.notes)


def _completion(chat: Mapping[str, Any]) -> dict[str, Any]:
    message = chat.get("message") or {}
    calls = [
        {
            "id": f"call_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": {
                "name": c["function"]["name"],
                "arguments": json.dumps(c["function"].get("arguments") or {}),
            },
        }
        for c in message.get("tool_calls") or []
    ]
    reply: dict[str, Any] = {
        "role": "assistant", "content": message.get("content") or None, "refusal": None,
    }  # fmt: skip
    if calls:
        reply["tool_calls"] = calls
    finish = (
        "tool_calls" if calls else ("length" if chat.get("done_reason") == "length" else "stop")
    )
    prompt, completion = int(chat.get("prompt_eval_count") or 0), int(chat.get("eval_count") or 0)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": chat.get("model"),
        "choices": [{"index": 0, "message": reply, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }
