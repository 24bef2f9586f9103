"""The OpenAI-compatible chat API: llama.cpp's server, vLLM, LM Studio (and Ollama's /v1).

    api = OpenAIChat("http://gpu:8080", api_key=None, timeout=600)
    api.models()                       # {"qwen2.5-coder-7b": 32768 or None, ...}
    api.chat("qwen2.5-coder-7b", messages, tools)   # -> ModelReply

The loop keeps its history in Ollama's message shape; this module translates at
the boundary: a tool call's arguments go out as the JSON string OpenAI's API
wants (and come back parsed), and every call gets an id that the tool result
answering it carries as `tool_call_id`. Such servers have no `num_ctx`: their
window is fixed when they start, and `models()` reports it where the server
says it (vLLM's `max_model_len`, llama.cpp's `meta.n_ctx`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from runner.agent.model import ModelReply, ToolCall
from runner.errors import ModelNotFoundError, ModelResponseError, ModelUnavailableError


def openai_messages(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The loop's messages (Ollama's shape) as OpenAI's: call ids, arguments as JSON text."""
    out: list[dict[str, Any]] = []
    pending: list[str] = []  # ids of the last assistant message's calls, in order
    counter = 0
    for message in messages:
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            calls, pending = [], []
            for call in message["tool_calls"]:
                counter += 1
                ident = f"call_{counter}"
                pending.append(ident)
                function = call.get("function") or {}
                arguments = function.get("arguments") or {}
                calls.append({
                    "id": ident, "type": "function",
                    "function": {
                        "name": str(function.get("name")),
                        "arguments": arguments if isinstance(arguments, str)
                        else json.dumps(arguments),
                    },
                })  # fmt: skip
            out.append({"role": "assistant", "content": message.get("content") or None,
                        "tool_calls": calls})  # fmt: skip
        elif role == "tool":
            ident = pending.pop(0) if pending else f"call_{counter}"
            out.append({"role": "tool", "content": str(message.get("content") or ""),
                        "tool_call_id": ident})  # fmt: skip
        else:
            out.append({"role": str(role), "content": str(message.get("content") or "")})
    return out


def _window(entry: Mapping[str, Any]) -> int | None:
    """The window the server runs the model with: vLLM's `max_model_len`, llama.cpp's
    `meta.n_ctx`; the trained `meta.n_ctx_train` only when the running one is not said (a
    llama.cpp server started with a smaller window refuses a prompt beyond it)."""
    meta = entry.get("meta") or {}
    for value in (entry.get("max_model_len"), meta.get("n_ctx"), meta.get("n_ctx_train")):
        if isinstance(value, int) and value > 0:
            return value
    return None


class OpenAIChat:
    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 600) -> None:
        self.base_url = base_url.rstrip("/")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[: -len("/v1")]
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def models(self) -> dict[str, int | None]:
        with self._translated("listing models"):
            reply = self._http.get("/v1/models")
            reply.raise_for_status()
        data = reply.json().get("data") or []
        return {str(m.get("id")): _window(m) for m in data if isinstance(m, dict)}

    def chat(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        *,
        timeout: float | None = None,
    ) -> ModelReply:
        """One request; `timeout` (seconds) for this one, else the client's."""
        body: dict[str, Any] = {
            "model": model, "messages": openai_messages(messages), "stream": False,
        }  # fmt: skip
        if tools:
            body["tools"] = list(tools)
        with self._translated(f"chat with {model}"):
            limit = httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout)
            reply = self._http.post("/v1/chat/completions", json=body, timeout=limit)
            reply.raise_for_status()
        data = reply.json()
        choices = data.get("choices") or []
        if not choices:
            raise ModelResponseError(f"the server at {self.base_url} answered with no choice")
        message = choices[0].get("message") or {}
        calls = [_tool_call(c) for c in message.get("tool_calls") or []]
        usage = data.get("usage") or {}
        return ModelReply(
            content=str(message.get("content") or ""),
            tool_calls=calls,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            detail = _error_message(exc.response)
            if status == 404:
                raise ModelNotFoundError(
                    f"{what}: the server at {self.base_url} does not serve it ({detail})"
                ) from exc
            if status >= 500:
                raise ModelUnavailableError(
                    f"{what}: the server at {self.base_url} failed ({status}): {detail}"
                ) from exc
            raise ModelResponseError(f"{what}: refused ({status}): {detail}") from exc
        except httpx.TransportError as exc:
            raise ModelUnavailableError(
                f"the model server is unreachable at {self.base_url}: {type(exc).__name__}: {exc}"
            ) from exc


def _tool_call(raw: Mapping[str, Any]) -> ToolCall:
    function = raw.get("function") or {}
    text = function.get("arguments") or "{}"
    try:
        arguments = json.loads(text) if isinstance(text, str) else dict(text)
    except (json.JSONDecodeError, TypeError, ValueError):
        return ToolCall(str(function.get("name")), {}, malformed=f"{str(text)[:200]!r}")
    if not isinstance(arguments, dict):
        return ToolCall(str(function.get("name")), {}, malformed=f"{str(text)[:200]!r}")
    return ToolCall(str(function.get("name")), arguments)


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.text[:200]
    if isinstance(error, dict):
        return str(error.get("message"))[:300]
    return str(error)[:300]
