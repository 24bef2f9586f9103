"""What the agent did, kept as it happens: commands, steps, the test run, and the trajectory file.

The trajectory (task, messages, steps, outcome; JSON) is rewritten after every
step and once more when the loop ends, whatever ended it, through a temporary
file and a rename: a crash leaves the previous complete version, never half.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.agent.types import TEST_OUTPUT_KEPT, CommandRecord, Outcome, Step, TaskBrief, TestRun

if TYPE_CHECKING:
    from runner.agent.model import ModelReply
    from runner.sandbox.container import CommandResult

EXCERPT = 400  # characters of output in a Step: progress messages stay small


class AgentRecord:
    def __init__(
        self,
        task: TaskBrief,
        model: str,
        path: Path | None,
        on_step: Callable[[Step], None] | None,
    ) -> None:
        self.task, self.model, self.path, self.on_step = task, model, path, on_step
        self.started = time.monotonic()
        self.iteration = self.tokens = 0
        self.commands: list[CommandRecord] = []
        self.steps: list[Step] = []
        self.test: TestRun | None = None
        self.outcome: Outcome | None = None
        self.messages: Callable[[], list[dict[str, Any]]] = list

    def command(self, command: str, result: CommandResult) -> None:
        self.commands.append(CommandRecord(command, result.exit_code, round(result.duration, 3)))

    def test_run(self, command: str, result: CommandResult) -> TestRun:
        self.test = TestRun(command, result.exit_code, result.output[-TEST_OUTPUT_KEPT:])
        return self.test

    def step(
        self, action: str, exit_code: int | None, output: str, ran: CommandResult | None = None
    ) -> None:
        """One step done: save, then tell the caller (whose callback may raise to stop us).

        `ran`: the command's result, when one ran (its duration and whether it timed out)."""
        excerpt = output if len(output) <= EXCERPT else "…" + output[-EXCERPT:]
        elapsed = round(time.monotonic() - self.started, 3)
        took = round(ran.duration, 3) if ran else 0.0
        timed_out = bool(ran and ran.timed_out)
        step = Step(
            self.iteration, action, exit_code, excerpt, self.tokens, elapsed, took, timed_out
        )
        self.steps.append(step)
        self.save()
        if self.on_step is not None:
            self.on_step(step)

    def end(self, kind: str, summary: str, **extra: Any) -> Outcome:
        self.outcome = Outcome(
            kind,  # type: ignore[arg-type]
            summary,
            commands=list(self.commands),
            iterations=self.iteration,
            tokens=self.tokens,
            test=self.test,
            **extra,
        )
        return self.outcome

    def save(self) -> None:
        if self.path is None:
            return
        data = {
            "task": asdict(self.task),
            "model": self.model,
            "messages": self.messages(),
            "steps": [asdict(s) for s in self.steps],
            "outcome": self.outcome.to_json() if self.outcome else None,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
        os.replace(tmp, self.path)


def assistant_message(reply: ModelReply) -> dict[str, Any]:
    """The reply as it goes back into the history, in Ollama's message shape."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.arguments}} for c in reply.tool_calls
        ]
    return message
