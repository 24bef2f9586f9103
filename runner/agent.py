"""The reasoning loop: ask the model, run what it asks in the sandbox, show it the result.

    agent = Agent(model, sandbox, task, Budgets(iterations=30), test_command="pytest -q",
                  trajectory_path=Path("traj.json"), on_step=print)
    outcome = agent.run()   # Outcome(kind="finished" | "help" | "budget" | "error", ...)

Tools when the model supports them (runner.tools), else the text protocol
(runner.text_protocol). Budgets are checked before every model call; a
repeated command loop stops the task (Outcome "budget", limit "loop").

Finishing with a test command: `finish` (or BZZZ_DONE) runs the test command
in the sandbox first. Green: the task is finished. Red: the model is shown the
failing output and continues; after `budgets.red_finishes` such refusals the
next red finish ends the task as Outcome "budget" (limit "red_finishes"), so
a model that cannot make the tests pass never produces a "finished" outcome.

Errors: the sandbox failing (SandboxError) or Ollama refusing a request
(ModelResponseError) end the task with Outcome "error"; Ollama unreachable
(ModelUnavailableError) is raised to the caller, who releases the task. The
trajectory (messages and steps, JSON) is written after every step and in
`finally`, so a crash loses nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.agent_types import (
    AskedForHelp,
    CommandRecord,
    FormatError,
    LimitsExceeded,
    Outcome,
    Step,
    Submitted,
    TaskBrief,
    TestRun,
)
from runner.budgets import BudgetClock, Budgets, LoopDetector
from runner.errors import ModelResponseError, SandboxError
from runner.history import History
from runner.prompts import system_prompt, task_message
from runner.text_protocol import observation, parse_reply
from runner.tools import TOOLS, ToolBox

if TYPE_CHECKING:
    from runner.model import Model, ModelReply
    from runner.sandbox import CommandResult, Sandbox

EXCERPT = 400  # characters of output in a Step (progress messages stay small)


class Agent:
    def __init__(
        self,
        model: Model,
        sandbox: Sandbox,
        task: TaskBrief,
        budgets: Budgets,
        *,
        on_step: Callable[[Step], None] | None = None,
        test_command: str | None = None,
        trajectory_path: Path | None = None,
        command_timeout: float | None = None,
        reply_reserve: int | None = None,
    ) -> None:
        self.model, self.task, self.budgets = model, task, budgets
        self.toolbox = ToolBox(sandbox, command_timeout)
        self.on_step, self.test_command, self.trajectory_path = (
            on_step,
            test_command,
            trajectory_path,
        )
        # Room left in num_ctx for the reply itself.
        self.reply_reserve = reply_reserve or min(2048, model.num_ctx // 4)
        self.iteration = self.tokens = self.red_finishes = 0
        self.commands: list[CommandRecord] = []
        self.steps: list[Step] = []
        self.test: TestRun | None = None
        self.outcome: Outcome | None = None

    def run(self) -> Outcome:
        info = self.model.info or self.model.check()
        self.use_tools = info.supports_tools
        self.tools = TOOLS if self.use_tools else None
        self.extra = len(json.dumps(self.tools)) // 3 if self.tools else 0  # tools are prompt too
        self.history = History(
            system_prompt(self.use_tools), task_message(self.task, self.test_command)
        )
        self.clock, self.loops = BudgetClock(self.budgets), LoopDetector(self.budgets.repeat_limit)
        try:
            while True:
                try:
                    self.step()
                except FormatError as exc:
                    self._observe(exc.message, tool="format_error")
                    self._report("format_error", None, exc.message)
        except Submitted as exc:
            return self._end("finished", exc.summary)
        except AskedForHelp as exc:
            return self._end("help", "asked for help", question=exc.question)
        except LimitsExceeded as exc:
            return self._end("budget", exc.reason, reason=exc.reason, limit=exc.kind)
        except (SandboxError, ModelResponseError) as exc:
            return self._end("error", str(exc), reason=f"{type(exc).__name__}: {exc}")
        finally:
            self.save()

    def step(self) -> None:
        self.clock.check(iterations=self.iteration, tokens=self.tokens)
        self.iteration += 1
        budget = self.model.num_ctx - self.reply_reserve
        sent = self.history.fit(budget, self.extra)
        reply = self.model.chat(sent, tools=self.tools)
        self.tokens += reply.prompt_tokens + reply.completion_tokens
        self.history.calibrate(sent, reply.prompt_tokens, self.extra)
        self.history.add(self.iteration, _assistant(reply))
        if self.use_tools:
            self._tool_calls(reply)
        else:
            try:
                command = parse_reply(reply.content)  # or AskedForHelp, FormatError
            except Submitted as done:
                return self._finish(done.summary)
            result = self._execute(command.command, lambda t: self.toolbox.run(command.command, t))
            self._observe(observation(result.observation()))
            self._after(command.command, result)

    def _tool_calls(self, reply: ModelReply) -> None:
        if not reply.tool_calls:
            raise FormatError(
                "Your reply called no tool. Act through the tools: run_command, read_file, "
                "write_file, apply_patch; finish when done, or ask_for_help."
            )
        for call in reply.tool_calls:
            if call.name == "finish":
                summary = call.arguments.get("summary")
                self._finish(summary if isinstance(summary, str) else "", tool="finish")
                continue
            try:
                done = self.toolbox.call(call.name, call.arguments, self._timeout())
            except FormatError as exc:
                self._observe(exc.message, tool=call.name)
                self._report(call.name, None, exc.message)
                continue
            self._record(done.action, done.result)
            self._observe(done.observation, tool=call.name)
            self._after(done.action, done.result, call.name)

    def _finish(self, summary: str, tool: str | None = None) -> None:
        """Submitted if the tests pass (or there are none); otherwise tell the model, bounded."""
        if not self.test_command:
            raise Submitted(summary)
        result = self._execute(self.test_command, lambda t: self.toolbox.run(self.test_command, t))
        self.test = TestRun(
            self.test_command, result.exit_code, result.ok, result.output[-EXCERPT:]
        )
        self._report(f"test: {self.test_command}", result.exit_code, result.output)
        if result.ok:
            raise Submitted(summary)
        self.red_finishes += 1
        if self.red_finishes > self.budgets.red_finishes:
            raise LimitsExceeded(
                "red_finishes", f"finished {self.red_finishes} times with failing tests"
            )
        self._observe(
            f"Not finished: the test command `{self.test_command}` failed.\n"
            f"{result.observation()}\nFix the failure, then finish again; or ask for help.",
            tool=tool,
        )

    def _execute(self, command: str, run: Callable[[float | None], CommandResult]) -> CommandResult:
        result = run(self._timeout())
        self._record(command, result)
        return result

    def _timeout(self) -> float | None:
        """A command may not outlive the wall-clock budget (nor the sandbox's own timeout)."""
        limit = self.toolbox.timeout or self.toolbox.sandbox.config.command_timeout
        return max(1.0, min(limit, self.clock.remaining))

    def _record(self, command: str, result: CommandResult) -> None:
        self.commands.append(CommandRecord(command, result.exit_code, round(result.duration, 3)))

    def _after(self, action: str, result: CommandResult, tool: str | None = None) -> None:
        self._report(
            action if tool in (None, "run_command") else tool or action,
            result.exit_code,
            result.output,
        )
        self.loops.add(action, result.exit_code, result.output)

    def _observe(self, text: str, tool: str | None = None) -> None:
        if self.use_tools:
            message = {"role": "tool", "content": text, "tool_name": tool or "format_error"}
        else:
            message = {"role": "user", "content": text}
        self.history.add(self.iteration, message, observation=True)

    def _report(self, action: str, exit_code: int | None, output: str) -> None:
        excerpt = output if len(output) <= EXCERPT else "…" + output[-EXCERPT:]
        step = Step(
            self.iteration, action, exit_code, excerpt, self.tokens, round(self.clock.elapsed, 3)
        )
        self.steps.append(step)
        self.save()
        if self.on_step is not None:
            self.on_step(step)

    def _end(self, kind: str, summary: str, **extra: Any) -> Outcome:
        self.outcome = Outcome(
            kind,
            summary,
            commands=list(self.commands),
            iterations=self.iteration,  # type: ignore[arg-type]
            tokens=self.tokens,
            test=self.test,
            **extra,
        )
        return self.outcome

    def save(self) -> None:
        """Write the trajectory atomically (a crash mid-write leaves the previous one)."""
        if self.trajectory_path is None:
            return
        data = {
            "task": asdict(self.task),
            "model": self.model.name,
            "num_ctx": self.model.num_ctx,
            "messages": self.history.messages() if hasattr(self, "history") else [],
            "steps": [asdict(s) for s in self.steps],
            "outcome": self.outcome.to_json() if self.outcome else None,
        }
        tmp = self.trajectory_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str))
        os.replace(tmp, self.trajectory_path)


def _assistant(reply: ModelReply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.arguments}} for c in reply.tool_calls
        ]
    return message
