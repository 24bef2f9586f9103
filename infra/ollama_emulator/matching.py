"""Rule conditions: predicates over the conversation the model sees.

Every condition in a rule's `when` must hold (they are ANDed):

    last_role: tool                   role of the final message
    last_message_contains: "text"     / last_message_matches: "regex"
    last_user_contains: "text"        / last_user_matches: "regex"   (latest user message)
    last_tool_contains: "FAILED"      / last_tool_matches: "regex"   (latest tool message)
    last_tool_name: run_command       tool that produced the latest tool message
    system_contains: "text"           any system message
    any_message_contains: "text"      any message at all
    assistant_turns: 0                assistant messages so far (0: the first turn)
    tools_offered: true               whether the request carried `tools`

Regexes use Python's `re.search` with MULTILINE, so `^3 passed` matches a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from infra.ollama_emulator.errors import ScenarioError

Message = Mapping[str, Any]
Conditions = Mapping[str, Any]


def _content(message: Message | None) -> str:
    return "" if message is None else str(message.get("content") or "")


def _last(messages: Sequence[Message], role: str) -> Message | None:
    return next((m for m in reversed(messages) if m.get("role") == role), None)


def last_tool_name(messages: Sequence[Message]) -> str | None:
    """The tool behind the latest tool message: its `tool_name`, else the call it answers.

    Clients may omit `tool_name`; then the tool messages after an assistant
    message answer its `tool_calls` in order, as Ollama's templates assume.
    """
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") != "tool":
            continue
        if messages[index].get("tool_name"):
            return str(messages[index]["tool_name"])
        position = 0
        for earlier in range(index - 1, -1, -1):
            if messages[earlier].get("role") == "tool":
                position += 1
                continue
            calls = messages[earlier].get("tool_calls") or []
            if messages[earlier].get("role") == "assistant" and position < len(calls):
                return str(calls[position].get("function", {}).get("name"))
            return None
    return None


def _search(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.MULTILINE) is not None


_Check = Callable[[Any, Sequence[Message], bool], bool]
_CHECKS: dict[str, _Check] = {
    "last_role": lambda v, ms, _t: bool(ms) and ms[-1].get("role") == v,
    "last_message_contains": lambda v, ms, _t: bool(ms) and v in _content(ms[-1]),
    "last_message_matches": lambda v, ms, _t: bool(ms) and _search(v, _content(ms[-1])),
    "last_user_contains": lambda v, ms, _t: v in _content(_last(ms, "user")),
    "last_user_matches": lambda v, ms, _t: _search(v, _content(_last(ms, "user"))),
    "last_tool_contains": lambda v, ms, _t: v in _content(_last(ms, "tool")),
    "last_tool_matches": lambda v, ms, _t: _search(v, _content(_last(ms, "tool"))),
    "last_tool_name": lambda v, ms, _t: last_tool_name(ms) == v,
    "system_contains": lambda v, ms, _t: any(
        v in _content(m) for m in ms if m.get("role") == "system"
    ),
    "any_message_contains": lambda v, ms, _t: any(v in _content(m) for m in ms),
    "assistant_turns": lambda v, ms, _t: sum(m.get("role") == "assistant" for m in ms) == v,
    "tools_offered": lambda v, _ms, t: t == v,
}


def parse_conditions(data: Any) -> Conditions:
    if not isinstance(data, dict) or not data:
        raise ScenarioError(f"`when` is a non-empty mapping of conditions: {data!r}")
    unknown = set(data) - set(_CHECKS)
    if unknown:
        raise ScenarioError(f"unknown conditions {sorted(unknown)}; known: {sorted(_CHECKS)}")
    for key, value in data.items():
        if key.endswith("_matches"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ScenarioError(f"{key}: bad regex {value!r}: {exc}") from exc
    return dict(data)


def matches(conditions: Conditions, messages: Sequence[Message], tools_offered: bool) -> bool:
    return all(_CHECKS[key](value, messages, tools_offered) for key, value in conditions.items())
