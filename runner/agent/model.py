"""The model: one model behind `check()` and `chat()`, on Ollama's API (the official `ollama`
client, the default) or an OpenAI-compatible one (`api="openai"`: llama.cpp's server, vLLM,
LM Studio; runner.agent.openai_api).

    model = Model("qwen2.5-coder:7b", host="http://gpu:11434", num_ctx=16384)
    info = model.check()          # ModelNotFoundError / ModelUnavailableError, one clear line each
    reply = model.chat(messages, tools=tool_schemas() if info.supports_tools else None)

The model name and `num_ctx` go into every request explicitly: Ollama's own
default window (2048 or 4096 tokens) would silently truncate the task away.
Unless configured, `num_ctx` is sized from the model: its trained window as
/api/show reports it, capped at `max_num_ctx` (the KV cache, and so GPU memory,
grows with the window); 8192 until `check()` has asked.
Every failure of the transport becomes ModelUnavailableError (the runner then
releases the task, it is not the task's fault); a missing model is
ModelNotFoundError; any other refusal is ModelResponseError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from runner.errors import ModelNotFoundError, ModelResponseError, ModelUnavailableError

DEFAULT_NUM_CTX = 8192  # before check(), or when the model does not report its window
DEFAULT_MAX_NUM_CTX = 32_768  # BZZZ_MAX_NUM_CTX: about 2 GB of KV cache for a 7B model
DEFAULT_TIMEOUT = 600.0  # seconds per request: a 7B model on a busy GPU can be slow


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    malformed: str | None = None  # the arguments as sent, when they were not a JSON object


@dataclass(frozen=True)
class ModelReply:
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class ModelInfo:
    name: str
    supports_tools: bool
    context_length: int | None  # the trained window, when /api/show reports it


class Model:
    def __init__(
        self,
        name: str,
        *,
        host: str | None = None,
        num_ctx: int | None = None,
        max_num_ctx: int = DEFAULT_MAX_NUM_CTX,
        timeout: float = DEFAULT_TIMEOUT,
        options: Mapping[str, Any] | None = None,
        client: Any = None,
        api: str = "ollama",
        api_key: str | None = None,
        tools: bool = True,
    ) -> None:
        if api not in ("ollama", "openai"):
            raise ValueError(f"unknown model API {api!r}: ollama or openai")
        self.api = api
        self.api_key = api_key
        self.tools_allowed = tools  # False: the text protocol, whatever the model supports
        self.name = name
        self.host = host
        self.requested_num_ctx = num_ctx
        self.max_num_ctx = max_num_ctx
        self.timeout = timeout
        self.extra_options = dict(options or {})
        self._client = client
        self.info: ModelInfo | None = None

    @property
    def num_ctx(self) -> int:
        """The window sent with every request: as configured, else sized from the model."""
        if self.requested_num_ctx:
            return self.requested_num_ctx
        if self.info is not None and self.info.context_length:
            return min(self.info.context_length, self.max_num_ctx)
        return min(DEFAULT_NUM_CTX, self.max_num_ctx)

    @property
    def client(self) -> Any:
        if self._client is None:  # made on first use: nothing happens at import or construction
            import ollama

            self._client = ollama.Client(host=self.host, timeout=self.timeout)
        return self._client

    @property
    def where(self) -> str:
        return self.host or "OLLAMA_HOST (default http://127.0.0.1:11434)"

    def check(self) -> ModelInfo:
        """Verify that the model exists and learn whether it supports tools."""
        if self.api == "openai":
            served = self.openai.models()
            # Ollama's /v1 lists tags in full ("x:latest") and answers to the short name.
            known = next((n for n in (self.name, f"{self.name}:latest") if n in served), None)
            if known is None:
                listed = ", ".join(sorted(served)[:10]) or "none"
                raise ModelNotFoundError(
                    f"model {self.name!r} is not served at {self.where} (it serves: {listed})"
                )
            # Such servers do not say whether a model calls tools; the operator can say no.
            self.info = ModelInfo(self.name, self.tools_allowed, served[known])
            return self.info
        with self._translated():
            shown = self.client.show(self.name)
        capabilities = list(shown.capabilities or [])
        info = shown.modelinfo or {}
        length = next((v for k, v in info.items() if k.endswith(".context_length")), None)
        tools = "tools" in capabilities and self.tools_allowed
        self.info = ModelInfo(self.name, tools, int(length) if length else None)
        return self.info

    @property
    def openai(self) -> Any:
        if self._client is None:
            from runner.agent.openai_api import OpenAIChat

            base = self.host or "http://127.0.0.1:8080"
            self._client = OpenAIChat(base, api_key=self.api_key, timeout=self.timeout)
        return self._client

    def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        timeout: float | None = None,
    ) -> ModelReply:
        """One request. `timeout`: how long it may take (the task's wall clock left), at
        most the model's own `timeout`; a request cut off raises ModelUnavailableError."""
        limit = self.timeout if timeout is None else max(1.0, min(self.timeout, timeout))
        if self.api == "openai":
            return self.openai.chat(self.name, messages, tools, timeout=limit)  # type: ignore[no-any-return]
        options = {**self.extra_options, "num_ctx": self.num_ctx}
        client = self.client
        import httpx

        # ollama's chat() takes no timeout: its httpx client's is set for this request (a
        # Model serves one task's loop, one request at a time).
        if isinstance(getattr(client, "_client", None), httpx.Client):
            client._client.timeout = httpx.Timeout(limit)
        with self._translated():
            response = client.chat(
                model=self.name,
                messages=list(messages),
                tools=list(tools) if tools else None,
                stream=False,
                options=options,
            )
        message = response.message
        calls = [
            ToolCall(call.function.name, dict(call.function.arguments or {}))
            for call in message.tool_calls or []
        ]
        return ModelReply(
            content=message.content or "",
            tool_calls=calls,
            prompt_tokens=response.prompt_eval_count or 0,
            completion_tokens=response.eval_count or 0,
        )

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Map the client's exceptions to ours, at the boundary, with one clear message each."""
        import httpx
        import ollama

        try:
            yield
        except ollama.ResponseError as exc:
            if exc.status_code == 404 and "not found" in str(exc.error).lower():
                raise ModelNotFoundError(
                    f"model {self.name!r} is not on the Ollama host at {self.where}; "
                    f"run `ollama pull {self.name}` there or configure another model"
                ) from exc
            if exc.status_code >= 500 or exc.status_code == -1:
                raise ModelUnavailableError(
                    f"Ollama at {self.where} failed ({exc.status_code}): {exc.error}"
                ) from exc
            raise ModelResponseError(
                f"Ollama refused the request ({exc.status_code}): {exc.error}"
            ) from exc
        except (ConnectionError, httpx.TransportError) as exc:
            raise ModelUnavailableError(
                f"Ollama is unreachable at {self.where}: {type(exc).__name__}: {exc}"
            ) from exc
