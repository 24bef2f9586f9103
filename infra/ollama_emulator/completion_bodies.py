"""Bodies of /api/chat and /api/generate replies, streamed and not, in Ollama's field names.

Shapes follow docs/api.md ("Generate a chat completion", "Generate a
completion"): streamed chunks carry a fragment and `done: false`; the final
object has `done: true`, `done_reason` and the timing and token statistics
(durations in nanoseconds). Tool calls travel whole in one chunk, as Ollama
streams them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Fake speeds, so that durations are plausible and proportional to the tokens.
_LOAD_NS = 25_000_000
_PROMPT_NS_PER_TOKEN = 200_000
_EVAL_NS_PER_TOKEN = 15_000_000


def timestamp(now: datetime | None = None) -> str:
    """RFC 3339 in UTC with a `Z`, as Ollama writes `created_at`."""
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def split_fragments(text: str) -> list[str]:
    """A word (with its trailing whitespace) per chunk; joined they give the text back."""
    return re.findall(r"\s*\S+\s*|\s+", text) or [""]


@dataclass(frozen=True)
class Completion:
    model: str
    content: str
    prompt_tokens: int
    eval_tokens: int
    thinking: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    done_reason: str = "stop"
    cold_start: bool = False
    waited_ns: int = 0

    def statistics(self) -> dict[str, Any]:
        load = _LOAD_NS if self.cold_start else 0
        prompt = self.prompt_tokens * _PROMPT_NS_PER_TOKEN
        evaluation = self.eval_tokens * _EVAL_NS_PER_TOKEN
        return {
            "total_duration": load + prompt + evaluation + self.waited_ns,
            "load_duration": load,
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": prompt,
            "eval_count": self.eval_tokens,
            "eval_duration": evaluation,
        }

    def _head(self) -> dict[str, Any]:
        return {"model": self.model, "created_at": timestamp()}

    def _message(self, content: str, with_calls: bool) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if self.thinking and with_calls:
            message["thinking"] = self.thinking
        if self.tool_calls and with_calls:
            message["tool_calls"] = self.tool_calls
        return message

    def chat_body(self) -> dict[str, Any]:
        return {
            **self._head(),
            "message": self._message(self.content, with_calls=True),
            "done_reason": self.done_reason,
            "done": True,
            **self.statistics(),
        }

    def chat_chunks(self) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        message: dict[str, Any]
        if self.thinking:
            message = {"role": "assistant", "content": "", "thinking": self.thinking}
            chunks.append({**self._head(), "message": message, "done": False})
        if self.content:
            for piece in split_fragments(self.content):
                message = {"role": "assistant", "content": piece}
                chunks.append({**self._head(), "message": message, "done": False})
        if self.tool_calls:
            message = {"role": "assistant", "content": "", "tool_calls": self.tool_calls}
            chunks.append({**self._head(), "message": message, "done": False})
        final = {
            **self._head(),
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": self.done_reason,
            **self.statistics(),
        }
        return [*chunks, final]

    def _context(self) -> list[int]:
        # docs/api.md: "an encoding of the conversation"; opaque ids, one per token.
        return list(range(1, self.prompt_tokens + self.eval_tokens + 1))

    def generate_body(self, with_context: bool) -> dict[str, Any]:
        body: dict[str, Any] = {**self._head(), "response": self.content}
        if self.thinking:
            body["thinking"] = self.thinking
        body.update({"done": True, "done_reason": self.done_reason})
        if with_context:
            body["context"] = self._context()
        return {**body, **self.statistics()}

    def generate_chunks(self, with_context: bool) -> list[dict[str, Any]]:
        chunks = [
            {**self._head(), "response": piece, "done": False}
            for piece in (split_fragments(self.content) if self.content else [])
        ]
        final: dict[str, Any] = {**self._head(), "response": "", "done": True}
        final["done_reason"] = self.done_reason
        if with_context:
            final["context"] = self._context()
        return [*chunks, {**final, **self.statistics()}]


def load_body(model: str, done_reason: str, chat: bool) -> dict[str, Any]:
    """The reply to an empty request, which only loads ("load") or unloads ("unload") a model."""
    body: dict[str, Any] = {"model": model, "created_at": timestamp()}
    if chat:
        body["message"] = {"role": "assistant", "content": ""}
    else:
        body["response"] = ""
    return {**body, "done_reason": done_reason, "done": True}
