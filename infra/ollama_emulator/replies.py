"""What a scripted model says: text, tool calls, an error, a delay, or nothing useful.

Accepted forms, in a scenario's `script`, `rules[].reply` or `fallback`:

    "some text"                                   plain assistant text
    {text: "...", thinking: "..."}                text, with an optional thinking trace
    {json: {...}}                                 text that is this value as JSON (for `format`)
    {tool_calls: [{name: run_command, arguments: {command: pytest}}], text: ""}
    {error: "out of memory", status: 500}         Ollama's error shape with that status
    {error: "...", text: "partial", mid_stream: true}
                                                  when streamed: the text, then an error line
                                                  ending the 200 stream (not streamed: as above)
    {nothing: empty}                              an empty message (a useless turn)
    {nothing: repeat}                             the previous assistant message again
    any of them + {delay: 2.5}                    wait that many seconds before answering
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.ollama_emulator.errors import ScenarioError

_KEYS = {
    "text",
    "thinking",
    "json",
    "tool_calls",
    "error",
    "status",
    "mid_stream",
    "nothing",
    "delay",
}


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        # Ollama's shape: arguments are an object, not a JSON string as in OpenAI's API.
        return {"function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True)
class Reply:
    text: str = ""
    thinking: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    error: str | None = None
    status: int = 500
    mid_stream: bool = False
    nothing: str | None = None  # "empty" or "repeat"
    delay: float = 0.0

    def describe(self) -> str:
        if self.error is not None:
            return f"error {self.status}"
        if self.nothing is not None:
            return f"nothing ({self.nothing})"
        if self.tool_calls:
            return "tool_calls " + ",".join(c.name for c in self.tool_calls)
        return "text"


def parse_reply(data: Any) -> Reply:
    if isinstance(data, str):
        return Reply(text=data)
    if not isinstance(data, dict):
        raise ScenarioError(f"a reply is a string or a mapping: {data!r}")
    unknown = set(data) - _KEYS
    if unknown:
        raise ScenarioError(f"reply: unknown keys {sorted(unknown)} in {data!r}")
    text = data.get("text", "")
    if "json" in data:
        if "text" in data:
            raise ScenarioError("reply: give `text` or `json`, not both")
        text = json.dumps(data["json"])
    nothing = data.get("nothing")
    if nothing not in (None, "empty", "repeat"):
        raise ScenarioError(f"reply: nothing must be `empty` or `repeat`, not {nothing!r}")
    status = int(data.get("status", 500))
    if "error" in data and not 400 <= status <= 599:
        raise ScenarioError(f"reply: an error status is 4xx or 5xx, not {status}")
    mid_stream = bool(data.get("mid_stream", False))
    if mid_stream and "error" not in data:
        raise ScenarioError("reply: mid_stream goes with an error")
    delay = float(data.get("delay", 0.0))
    if delay < 0:
        raise ScenarioError("reply: delay cannot be negative")
    return Reply(
        text=str(text),
        thinking=None if data.get("thinking") is None else str(data["thinking"]),
        tool_calls=tuple(_parse_tool_call(c) for c in data.get("tool_calls", [])),
        error=None if data.get("error") is None else str(data["error"]),
        status=status,
        mid_stream=mid_stream,
        nothing=nothing,
        delay=delay,
    )


def _parse_tool_call(data: Any) -> ToolCall:
    # Accept Ollama's own wire shape too, so a recorded reply can be pasted in.
    if isinstance(data, dict) and isinstance(data.get("function"), dict):
        data = data["function"]
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise ScenarioError(f"a tool call is {{name: ..., arguments: {{...}}}}: {data!r}")
    arguments = data.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ScenarioError(f"tool call {data['name']}: arguments must be a mapping")
    return ToolCall(name=data["name"], arguments=arguments)
