"""The conversation, and the part of it that fits the model's context window.

The full history is kept (it goes into the trajectory); what is sent is
`fit(budget)`: the system prompt and the task message always, then every step
whose text fits. When it does not fit, in order:
1. the oldest observations (tool results, command outputs) are replaced by a
   one-line marker `[observation of step N dropped: M chars]`, oldest first,
   all but the latest step's;
2. still too long: the oldest whole steps (reply and observations) are
   dropped, replaced by one marker; the latest step always stays;
3. still too long: the latest message is cut to what is left (its head kept).

Tokens are estimated, conservatively, as ceil(chars / 3.5) plus 4 per message
(role markers) - code and logs tokenize denser than prose's 4 chars a token.
Once Ollama reports `prompt_eval_count` for a prompt we sent, `calibrate`
scales the estimate up if the real count was higher; it never scales down
(Ollama counts only the tokens it evaluated, a cached prefix is not counted,
so a low figure says nothing about the prompt's real size).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

CHARS_PER_TOKEN = 3.5
MESSAGE_OVERHEAD = 4

Message = dict[str, Any]


def raw_tokens(message: Message) -> int:
    size = len(str(message.get("content") or ""))
    if message.get("tool_calls"):
        size += len(json.dumps(message["tool_calls"]))
    return math.ceil(size / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD


@dataclass
class _Entry:
    step: int
    message: Message
    observation: bool


class History:
    def __init__(self, system: str, task: str) -> None:
        self.system: Message = {"role": "system", "content": system}
        self.task: Message = {"role": "user", "content": task}
        self.entries: list[_Entry] = []
        self.scale = 1.0

    def add(self, step: int, message: Message, *, observation: bool = False) -> None:
        self.entries.append(_Entry(step, message, observation))

    def messages(self) -> list[Message]:
        """The whole conversation, nothing dropped."""
        return [self.system, self.task, *(e.message for e in self.entries)]

    def tokens(self, messages: list[Message], extra: int = 0) -> int:
        return math.ceil((sum(raw_tokens(m) for m in messages) + extra) * self.scale)

    def calibrate(self, sent: list[Message], prompt_tokens: int, extra: int = 0) -> None:
        estimate = sum(raw_tokens(m) for m in sent) + extra
        if estimate and prompt_tokens > estimate * self.scale:
            self.scale = prompt_tokens / estimate

    def fit(self, budget: int, extra: int = 0) -> list[Message]:
        """The messages to send so that their estimate (plus `extra`, e.g. tools) fits `budget`."""
        entries = [_Entry(e.step, dict(e.message), e.observation) for e in self.entries]
        head = [self.system, self.task]

        def total(items: list[_Entry], dropped: int = 0) -> int:
            marker = [_steps_marker(dropped)] if dropped else []
            return self.tokens(head + marker + [e.message for e in items], extra)

        latest = entries[-1].step if entries else 0
        for entry in entries:  # 1. oldest observations first; the latest step's stay
            if total(entries) <= budget:
                break
            if entry.observation and entry.step != latest:
                _drop_observation(entry)
        dropped = 0
        while total(entries, dropped) > budget and entries and entries[0].step != latest:
            step = entries[0].step  # 2. whole oldest steps
            entries = [e for e in entries if e.step != step]
            dropped += 1
        over = total(entries, dropped) - budget
        if over > 0 and entries:  # 3. cut the latest observation (or reply) to what is left
            last = entries[-1].message
            content = str(last.get("content") or "")
            keep = max(0, len(content) - math.ceil(over * self.scale * CHARS_PER_TOKEN) - 80)
            last["content"] = content[:keep] + f"\n[... {len(content) - keep} chars cut to fit]"
        marker = [_steps_marker(dropped)] if dropped else []
        return head + marker + [e.message for e in entries]


def _drop_observation(entry: _Entry) -> None:
    content = str(entry.message.get("content") or "")
    if not content.startswith("[observation of step"):
        entry.message["content"] = (
            f"[observation of step {entry.step} dropped: {len(content)} chars]"
        )


def _steps_marker(count: int) -> Message:
    return {"role": "user", "content": f"[{count} earliest steps dropped to fit the context]"}
