"""The reasoning loop: ask the model, run what it asks in the sandbox, show it the result.

    agent = Agent(model, sandbox, task, Budgets(iterations=30), test_command="pytest -q",
                  trajectory_path=Path("traj.json"), on_step=print)
    outcome = agent.run()   # Outcome(kind="finished" | "help" | "budget" | "error", ...)

Tools when the model supports them (runner.agent.tools), else the text protocol
(runner.agent.text_protocol). Budgets are checked before every model call; a
repeated command loop stops the task (Outcome "budget", limit "loop"), and so does the
same reply that calls nothing, sent again and again.

Finishing with a test command: `finish` (or BZZZ_DONE) runs the test command
in the sandbox first. Green: the task is finished, and `Outcome.test` is that
run: the worker does not run the tests again. Red: the model is shown the
failing output and continues; after `budgets.red_finishes` such refusals the
next red finish ends the task as Outcome "budget" (limit "red_finishes"), so
a model that cannot make the tests pass never produces a "finished" outcome.

Errors: the sandbox failing (SandboxError) or Ollama refusing a request
(ModelResponseError) end the task with Outcome "error"; Ollama unreachable
(ModelUnavailableError) and whatever `on_step` raises (e.g. the runner
stopping the task) go to the caller. The trajectory is saved after every step
and in `finally` (runner.agent.record), so a crash loses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from runner.agent.baseline import Baseline
from runner.agent.budgets import BudgetClock, Budgets, LoopDetector
from runner.agent.history import History
from runner.agent.prompts import looks_stuck, system_prompt, task_message
from runner.agent.record import AgentRecord, assistant_message
from runner.agent.text_protocol import observation, parse_reply
from runner.agent.tools import FINISH, ToolBox, call_in_text, no_tool_call, tool_schemas
from runner.agent.types import (
    AskedForHelp,
    FormatError,
    LimitsExceeded,
    Outcome,
    Step,
    Submitted,
    TaskBrief,
)
from runner.errors import ModelResponseError, ModelUnavailableError, SandboxError

if TYPE_CHECKING:
    from runner.agent.model import Model, ModelReply
    from runner.sandbox.container import CommandResult, Sandbox


# The public reasons of an "error" outcome (they reach the issue and the pull request).
ERROR_REASONS = {
    "sandbox": "the sandbox stopped answering (a runner problem; details in the runner's log)",
    "model": "the model refused a request (a runner problem; details in the runner's log)",
}


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
        baseline: Baseline | None = None,
    ) -> None:
        self.model, self.task, self.budgets, self.test_command = model, task, budgets, test_command
        # The tests that failed before any change (runner.agent.baseline); none: all must pass.
        self.baseline = baseline or Baseline(test_command)
        self.toolbox = ToolBox(sandbox, command_timeout)
        self.record = AgentRecord(task, model.name, trajectory_path, on_step)
        self._reply_reserve = reply_reserve
        self.red_finishes = 0
        self._reply = ""  # the last reply's text, for the loop detector's view of format errors

    def run(self) -> Outcome:
        info = self.model.info or self.model.check()
        self.use_tools = info.supports_tools
        # Ollama silently caps num_ctx at the trained window; fit to what the model really sees.
        self.window = min(self.model.num_ctx, info.context_length or self.model.num_ctx)
        # Room kept free in the window for the reply itself.
        self.reply_reserve = self._reply_reserve or min(2048, self.window // 4)
        self.tools = tool_schemas() if self.use_tools else None
        self.extra = len(json.dumps(self.tools)) // 3 if self.tools else 0  # tools are prompt too
        prompt = task_message(self.task, self.test_command, self.baseline.known_failures)
        self.history = History(system_prompt(self.use_tools), prompt)
        self.record.messages = self.history.messages
        self.clock, self.loops = BudgetClock(self.budgets), LoopDetector(self.budgets.repeat_limit)
        record = self.record
        try:
            while True:
                try:
                    self.step()
                except FormatError as exc:
                    self._observe(exc.message, tool=None)
                    record.step("format_error", None, exc.message)
                    # The same unusable reply again and again is a loop like any other.
                    self.loops.add(f"(no call) {self._reply}", None, exc.message)
        except Submitted as exc:
            return record.end("finished", exc.summary)
        except AskedForHelp as exc:
            return record.end("help", "asked for help", question=exc.question, reason=exc.trigger)
        except LimitsExceeded as exc:
            return record.end("budget", exc.reason, reason=exc.reason, limit=exc.kind)
        except (SandboxError, ModelResponseError) as exc:
            # The issue hears what broke, never the engine's or the model server's words.
            said = ERROR_REASONS["sandbox" if isinstance(exc, SandboxError) else "model"]
            return record.end("error", said, reason=said, detail=f"{type(exc).__name__}: {exc}")
        finally:
            record.save()

    def step(self) -> None:
        record = self.record
        self.clock.check(iterations=record.iteration, tokens=record.tokens)
        record.iteration += 1
        sent = self.history.fit(self.window - self.reply_reserve, self.extra)
        try:
            # A request may not outlive the wall-clock budget: a slow model host would
            # otherwise overrun it by up to the model's own timeout (10 minutes).
            reply = self.model.chat(sent, tools=self.tools, timeout=self.clock.remaining)
        except ModelUnavailableError:
            if self.clock.remaining > 0:
                raise  # the host failed or is gone: the worker gives the task back
            b = self.budgets
            raise LimitsExceeded(
                "wall_clock",
                f"wall-clock budget spent ({b.wall_clock_seconds:g}s) waiting for the model",
            ) from None
        self._reply = reply.content
        record.tokens += reply.prompt_tokens + reply.completion_tokens
        self.history.calibrate(sent, reply.prompt_tokens, self.extra)
        if self.use_tools and not reply.tool_calls and (call := call_in_text(reply.content)):
            # A tool call written as text: taken as the call it is, and said so.
            reply = replace(reply, content="", tool_calls=[call])
            record.step(f"repaired: a {call.name} call written as text", None, "")
        self.history.add(record.iteration, assistant_message(reply))
        if self.use_tools:
            if not reply.tool_calls:
                _raise_if_stuck(reply.content)
            return self._tool_calls(reply)
        try:
            command = parse_reply(reply.content).command  # or AskedForHelp, FormatError
        except Submitted as done:
            return self._finish(done.summary)
        except FormatError:
            _raise_if_stuck(reply.content)
            raise
        result = self._run(command)
        self._observe(observation(result.observation()))
        self._done(command, result, command)

    def _tool_calls(self, reply: ModelReply) -> None:
        if not reply.tool_calls:
            raise FormatError(no_tool_call(reply.content))
        for call in reply.tool_calls:
            if call.malformed is not None:
                message = (
                    f"Tool {call.name}: its arguments are not a JSON object "
                    f"({call.malformed}); send them as one."
                )
                self._observe(message, tool=call.name)
                self.record.step(call.name, None, message)
                continue
            if call.name == FINISH:
                summary = call.arguments.get("summary")
                self._finish(summary if isinstance(summary, str) else "", tool=FINISH)
                continue
            try:
                done = self.toolbox.call(call.name, call.arguments, self._timeout())
            except FormatError as exc:
                self._observe(exc.message, tool=call.name)
                self.record.step(call.name, None, exc.message)
                continue
            self.record.command(done.action, done.result)
            self._observe(done.observation, tool=call.name)
            shown = done.action if call.name == "run_command" else call.name
            self._done(done.action, done.result, shown)

    def _finish(self, summary: str, tool: str | None = None) -> None:
        """Submitted if the tests pass (or there are none); otherwise tell the model, bounded."""
        if not self.test_command:
            raise Submitted(summary)
        result = self._run(self.test_command)
        self.record.test_run(self.test_command, result)
        self.record.step(f"test: {self.test_command}", result.exit_code, result.output, result)
        gate = self.baseline.judge(result, self._run)
        if gate.passed:
            if gate.still_failing:  # green without the tests that failed before any change
                self.record.test = gate.test
                self.record.step(f"test: {gate.test.command}", gate.test.exit_code,
                                 gate.test.output)  # fmt: skip
            raise Submitted(summary)
        self.red_finishes += 1
        if self.red_finishes > self.budgets.red_finishes:
            reason = f"finished {self.red_finishes} times with the tests failing"
            raise LimitsExceeded("red_finishes", reason)
        self._observe(
            f"Not finished: the test command `{self.test_command}` failed.\n"
            f"{result.observation()}\nFix the failure, then finish again; or ask for help.",
            tool=tool,
        )

    def _run(self, command: str) -> CommandResult:
        result = self.toolbox.run(command, self._timeout())
        self.record.command(command, result)
        return result

    def _timeout(self) -> float:
        """A command may not outlive the wall-clock budget (nor the sandbox's own timeout)."""
        limit = self.toolbox.timeout or self.toolbox.sandbox.config.command_timeout
        return max(1.0, min(limit, self.clock.remaining))

    def _done(self, action: str, result: CommandResult, shown: str) -> None:
        self.record.step(shown, result.exit_code, result.output, result)
        self.loops.add(action, result.exit_code, result.output)

    def _observe(self, text: str, tool: str | None = None) -> None:
        """Show the model a result: a tool message answering its call, else a user message."""
        if self.use_tools and tool is not None:
            message = {"role": "tool", "content": text, "tool_name": tool}
        else:
            message = {"role": "user", "content": text}
        self.history.add(self.record.iteration, message, observation=True)


def _raise_if_stuck(text: str | None) -> None:
    """A reply that does nothing but says it is stuck is a help request (the original
    Bzzz's triggers: stuck, help, human, escalate, clarification needed, ...)."""
    trigger = looks_stuck(text)
    if trigger is not None:
        raise AskedForHelp((text or "").strip()[:4000], trigger=f"stuck: {trigger}")
