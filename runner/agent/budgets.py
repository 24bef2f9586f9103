"""What a task may spend (iterations, wall clock, tokens) and the detector of repeated commands.

Budgets are checked before every model call (`BudgetClock.check`), so a task
stops at a clean point between steps, never in the middle of a command.

Tokens count what the GPU processed: for every model call, the prompt tokens
Ollama evaluated plus the tokens it generated (`prompt_eval_count` +
`eval_count`). Since the whole history is sent on every call, this grows
faster than the conversation; it is the figure that measures GPU time.

Loop detection (`LoopDetector`): a step's signature is its command and its
result (exit code and output, durations such as pytest's "in 1.37s" masked).
The loop is stopped when the same signature comes `repeat_limit` times in a
row (3 by default), or when two signatures
alternate A-B-A-B: identical results mean nothing changed in between, so a
third round would change nothing either.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from runner.agent.types import LimitsExceeded


@dataclass(frozen=True)
class Budgets:
    iterations: int = 30  # model calls
    wall_clock_seconds: float = 1800.0
    tokens: int = 400_000  # prompt + generated, summed over all model calls
    red_finishes: int = 2  # finish refused because the test command failed, then stop
    repeat_limit: int = 3  # same command, same result, this many times in a row


class BudgetClock:
    def __init__(self, budgets: Budgets) -> None:
        self.budgets = budgets
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def remaining(self) -> float:
        return self.budgets.wall_clock_seconds - self.elapsed

    def check(self, *, iterations: int, tokens: int) -> None:
        """Raise LimitsExceeded if one more model call would overspend."""
        b = self.budgets
        if iterations >= b.iterations:
            raise LimitsExceeded("iterations", f"iteration budget spent ({b.iterations} steps)")
        if self.remaining <= 0:
            raise LimitsExceeded(
                "wall_clock", f"wall-clock budget spent ({b.wall_clock_seconds:g}s)"
            )
        if tokens >= b.tokens:
            raise LimitsExceeded("tokens", f"token budget spent ({tokens} of {b.tokens} tokens)")


class LoopDetector:
    def __init__(self, repeat_limit: int = 3) -> None:
        self.repeat_limit = max(2, repeat_limit)
        self.signatures: list[tuple[str, int | None, str]] = []
        self.commands: list[str] = []

    def add(self, command: str, exit_code: int | None, output: str) -> None:
        """Record one executed step; raise LimitsExceeded("loop") when it repeats a loop."""
        self.signatures.append((command, exit_code, _steady(output)))
        self.commands.append(command)
        recent = self.signatures[-self.repeat_limit :]
        if len(recent) == self.repeat_limit and len(set(recent)) == 1:
            raise LimitsExceeded(
                "loop",
                f"loop detected: `{_short(command)}` gave the same result "
                f"{self.repeat_limit} times in a row",
            )
        a1, b1, a2, b2 = ([None] * 4 + self.signatures)[-4:]
        if a1 is not None and a1 == a2 and b1 == b2 and a1 != b1:
            raise LimitsExceeded(
                "loop",
                f"loop detected: `{_short(a1[0])}` and `{_short(b1[0])}` alternate "  # type: ignore[index]
                "with the same results",
            )


# How long a run took differs on every run ("42 passed in 1.37s"): not a change.
_DURATION = re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds)\b|\b\d+:\d\d:\d\d\b")


def _steady(output: str) -> str:
    """The output with its durations masked, so that the same result counts as the same."""
    return _DURATION.sub("<duration>", output)


def _short(command: str, limit: int = 80) -> str:
    line = " ".join(command.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
