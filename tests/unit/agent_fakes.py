"""In-process stand-ins for the agent's two collaborators, for the unit tier only.

`ScriptedModel` answers `chat()` from a script (one `ModelReply` or text per call) and
keeps what it was sent; `FakeSandbox` answers `run()` from a small table of command
prefixes and keeps every command it was given. Neither starts anything: the loop's logic
is tested in milliseconds, while tests/integration keeps the real engine and the Ollama
stand-in for what the tools really do in a container.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.agent.model import ModelInfo, ModelReply, ToolCall
from runner.errors import SandboxError
from runner.sandbox.output import CommandResult


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall(name, arguments)


def calls(*tool_calls: ToolCall) -> ModelReply:
    return ModelReply("", list(tool_calls))


class ScriptedModel:
    """Replies in order; a reply that is an exception is raised instead (the model failing)."""

    def __init__(
        self,
        script: Sequence[ModelReply | str | Exception],
        *,
        tools: bool = True,
        num_ctx: int = 8192,
        context_length: int | None = None,
        name: str = "scripted:1b",
    ) -> None:
        self.script = list(script)
        self.name = name
        self.num_ctx = num_ctx
        self.info: ModelInfo | None = None
        self._info = ModelInfo(name, tools, context_length)
        self.sent: list[list[dict[str, Any]]] = []
        self.tools_sent: list[list[dict[str, Any]] | None] = []
        self.timeouts: list[float | None] = []  # each request's, as the loop asked

    def check(self) -> ModelInfo:
        self.info = self._info
        return self.info

    def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        timeout: float | None = None,
    ) -> ModelReply:
        self.timeouts.append(timeout)
        self.sent.append([dict(m) for m in messages])
        self.tools_sent.append([dict(t) for t in tools] if tools else None)
        if not self.script:
            raise AssertionError("the model was asked more often than the script says")
        reply = self.script.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, str):
            reply = ModelReply(reply)
        prompt = sum(len(str(m.get("content", ""))) for m in messages) // 4
        return ModelReply(reply.content, reply.tool_calls, prompt, len(reply.content) // 4 + 5)

    def told(self) -> list[str]:
        """What the loop said back after the model's last reply: tool and user messages."""
        last = self.sent[-1]
        return [m["content"] for m in last[2:] if m["role"] in ("tool", "user")]


@dataclass
class FakeConfig:
    command_timeout: float = 60.0


Answer = tuple[int, str] | Callable[[str], tuple[int, str]] | Exception


@dataclass
class FakeSandbox:
    """`answers` maps a command prefix to (exit code, output), a function of the command,
    or an exception to raise; anything else succeeds with no output."""

    answers: dict[str, Answer] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    config: FakeConfig = field(default_factory=FakeConfig)

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        self.commands.append(command)
        answer: Answer = (0, "")
        for prefix, candidate in self.answers.items():
            if command.startswith(prefix):
                answer = candidate
                break
        if isinstance(answer, Exception):
            raise answer
        code, output = answer(command) if callable(answer) else answer
        explanation = "" if code == 0 else f"exited with code {code}"
        return CommandResult(code, output, False, False, 0.01, explanation)


class SandboxDied(SandboxError):
    pass
