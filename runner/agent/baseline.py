"""Tests that fail before the agent changes anything: finishing does not wait for them.

Real repositories often carry a few tests that fail in the sandbox from the
start: one that reads the installed package's metadata, one that needs the
network or a tool the image lacks. The finish gate (runner.agent.loop: `finish`
runs the test command) could then never pass, and the task would end "budget"
however good the fix. So, with pytest, the runner runs the test command once on
the fresh clone before the agent starts:

    baseline = measure(sandbox.run, "python -m pytest -q")
    baseline.known_failures      # ("tests/test_package.py::test_has_version",)
    gate = baseline.judge(result_at_finish, sandbox.run)
    gate.passed, gate.test       # the run that passed: the command, less what still fails

At `finish` the whole test command runs, as always. Green: finished. Red, when
every test it names as failing already failed before any change (a subset of
the known failures, read from pytest's short summary), the same command runs
again with exactly those tests deselected (`--deselect ID`; `--ignore PATH` for
a module that does not even import), and its exit code decides. A known
failure the change fixed (often the issue's own failing test) is not
deselected: it must pass, and the verification (runner.worker.verify) runs the
gate's command, so it is the evidence of the fix.

The summary is text the code under test could print. It can only narrow what
the exit code judges to tests that failed before the model wrote anything
(measured on the untouched clone, at most MAX_KNOWN, with some test passing);
anything else (not pytest, no summary, a new failure, a timeout) keeps the
gate strict, as before.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from runner.agent.types import TEST_OUTPUT_KEPT, TestRun
from runner.pytest_summary import pytest_launcher, summary_outcomes
from runner.sandbox.output import CommandResult

MAX_KNOWN = 20  # more than this failing before any change: the suite is no gate at all
_PASSED = re.compile(r"\b(\d+) passed\b")
_TIMED_OUT = (124, 137)

Run = Callable[[str], CommandResult]


@dataclass(frozen=True)
class Gate:
    """The finish check's verdict: `test` is the run that decided it."""

    passed: bool
    test: TestRun
    still_failing: tuple[str, ...] = ()  # known failures the change left failing


@dataclass(frozen=True)
class Baseline:
    command: str | None  # the repository's test command (None: it has none)
    known_failures: tuple[str, ...] = ()
    exit_code: int | None = None  # of the run on the fresh clone; None: not run
    note: str = ""  # why, for the trajectory

    def to_json(self) -> dict[str, object]:
        return {
            "command": self.command,
            "known_failures": list(self.known_failures),
            "exit_code": self.exit_code,
            "note": self.note,
        }

    def judge(self, result: CommandResult, run: Run) -> Gate:
        """The finish check on `result`, the whole test command's run at finish."""
        command = self.command or ""
        whole = _test_run(command, result)
        if result.exit_code == 0 or not self.known_failures or _timed_out(result):
            return Gate(result.exit_code == 0 and not result.timed_out, whole)
        failing = failures(result.output)
        if not failing or not set(failing) <= set(self.known_failures):
            return Gate(False, whole)  # something new broke, or nothing to tell it by
        narrowed = gate_command(command, failing)
        again = run(narrowed)
        passed = again.exit_code == 0 and not again.timed_out
        return Gate(passed, _test_run(narrowed, again), tuple(failing))


def measure(run: Run, test_command: str | None) -> Baseline:
    """Run the test command on the untouched tree: the tests that fail before any change."""
    if not test_command or pytest_launcher(test_command) is None:
        return Baseline(test_command, note="not pytest: the finish check is the test command")
    if re.search(r"\s--(\s|$)", test_command):  # options after `--` would be read as paths
        return Baseline(test_command, note="has `--`: the finish check is the test command")
    result = run(test_command)
    code = result.exit_code
    if code == 0:
        return Baseline(test_command, exit_code=0, note="green before any change")
    strict = f"red before any change (exit {code}); the finish check stays the whole command"
    failing = failures(result.output)
    passed = _PASSED.findall(result.output)
    usable = failing and len(failing) <= MAX_KNOWN and passed and int(passed[-1]) > 0
    if _timed_out(result) or not usable:
        return Baseline(test_command, exit_code=code, note=strict)
    why = f"{len(failing)} test(s) failing before any change may still fail at finish"
    return Baseline(test_command, tuple(failing), code, why)


def failures(output: str) -> list[str]:
    """The failing and erroring tests pytest's last short summary names, sorted."""
    outcomes = summary_outcomes(output)
    return sorted(test for test, outcome in outcomes.items() if outcome in ("FAILED", "ERROR"))


def gate_command(test_command: str, failing: list[str]) -> str:
    """`test_command` with `failing` deselected (a test) or ignored (a module that errs)."""
    options = []
    for test in failing:
        if "::" in test:
            options.append(f"--deselect {shlex.quote(test)}")
        else:  # a collection error: deselecting cannot skip a module that fails to import
            options.append(f"--ignore {shlex.quote(test)}")
    return f"{test_command} {' '.join(options)}"


def _timed_out(result: CommandResult) -> bool:
    return result.timed_out or result.exit_code in _TIMED_OUT


def _test_run(command: str, result: CommandResult) -> TestRun:
    return TestRun(command, result.exit_code, result.output[-TEST_OUTPUT_KEPT:])
