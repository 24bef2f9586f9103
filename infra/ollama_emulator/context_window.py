"""The context window: a token estimate of the prompt, and what happens when it overflows.

There is no tokenizer here, so a token is estimated as 4 characters of text
(`ceil(len / 4)`), plus 4 tokens per chat message for the role markers a chat
template adds, plus the tool definitions as JSON. The estimate is what the
stand-in reports as `prompt_eval_count`, so a runner can watch its budget.

The window is `options.num_ctx`, else the model's `default_num_ctx`, capped at
the model's trained `context_length` (Ollama caps it the same way).

When the prompt does not fit, the scenario's `context_overflow` decides:
- `truncate` (the default, and what Ollama does, silently, with 200 OK): drop
  the oldest messages, but keep every system message and always the latest
  message (Ollama's chatPrompt in server/prompt.go); if the latest message
  alone still overflows, the prompt is cut to the window, so
  `prompt_eval_count` never exceeds `num_ctx`. Rules then match only what the
  model saw, and the request log records what was dropped.
- `error`: refuse with 400 `the input length exceeds the context length`, the
  way Ollama answers when truncation is turned off; for a runner's tests that
  must notice an overflow instead of losing the task statement.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.ollama_emulator.errors import bad_request
from infra.ollama_emulator.scenario import ModelSpec

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4
OVERFLOW_MESSAGE = "the input length exceeds the context length"

Message = Mapping[str, Any]


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _message_tokens(message: Message) -> int:
    tokens = MESSAGE_OVERHEAD + estimate_tokens(str(message.get("content") or ""))
    if message.get("tool_calls"):
        tokens += estimate_tokens(json.dumps(message["tool_calls"]))
    return tokens


def effective_num_ctx(model: ModelSpec, options: Mapping[str, Any] | None) -> int:
    requested = (options or {}).get("num_ctx")
    if isinstance(requested, int) and not isinstance(requested, bool) and requested > 0:
        return min(requested, model.context_length)
    return model.default_num_ctx


@dataclass(frozen=True)
class Fit:
    """What the model sees of a request, and the counts reported back."""

    messages: list[Message]
    prompt_tokens: int
    requested_tokens: int
    num_ctx: int
    dropped_messages: int = 0
    truncated: bool = False
    notes: list[str] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        return {
            "num_ctx": self.num_ctx,
            "prompt_tokens": self.prompt_tokens,
            "requested_tokens": self.requested_tokens,
            "dropped_messages": self.dropped_messages,
            "truncated": self.truncated,
        }


def fit_messages(
    messages: Sequence[Message],
    tools: Sequence[Any] | None,
    num_ctx: int,
    overflow: str,
) -> Fit:
    fixed = estimate_tokens(json.dumps(tools)) if tools else 0

    def total(kept: Sequence[Message]) -> int:
        return fixed + sum(_message_tokens(m) for m in kept)

    requested = total(messages)
    if requested <= num_ctx:
        return Fit(list(messages), requested, requested, num_ctx)
    if overflow == "error":
        raise bad_request(OVERFLOW_MESSAGE)
    kept: list[Message] = list(messages)
    for start in range(max(len(messages) - 1, 0) + 1):
        systems = [m for m in messages[:start] if m.get("role") == "system"]
        kept = systems + list(messages[start:])
        if total(kept) <= num_ctx:
            break
    dropped = len(messages) - len(kept)
    return Fit(kept, min(total(kept), num_ctx), requested, num_ctx, dropped, truncated=True)


def fit_prompt(prompt: str, system: str | None, num_ctx: int, overflow: str) -> Fit:
    """/api/generate: one prompt (and system), which can only be cut, not pruned."""
    messages: list[Message] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": prompt})
    requested = sum(_message_tokens(m) for m in messages)
    if requested <= num_ctx:
        return Fit(messages, requested, requested, num_ctx)
    if overflow == "error":
        raise bad_request(OVERFLOW_MESSAGE)
    return Fit(messages, num_ctx, requested, num_ctx, truncated=True)
