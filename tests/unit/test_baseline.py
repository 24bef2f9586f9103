"""The finish check with tests that failed before any change (runner.agent.baseline)."""

from __future__ import annotations

import pytest

from runner.agent.baseline import MAX_KNOWN, Baseline, gate_command, measure
from runner.sandbox.output import CommandResult

COMMAND = "python -m pytest -q"
SUMMARY = "=========================== short test summary info ============================\n"


def result(code: int, *failing: str, passed: int = 5, timed_out: bool = False) -> CommandResult:
    lines = "".join(f"FAILED {test} - AssertionError\n" for test in failing)
    counts = f"{len(failing)} failed, {passed} passed in 0.1s\n"
    return CommandResult(code, f"....F\n{SUMMARY}{lines}{counts}", timed_out, False, 0.1)


class Runs:
    """The sandbox's `run`, answering from a table, remembering what was asked."""

    def __init__(self, answers: dict[str, CommandResult]) -> None:
        self.answers, self.asked = answers, []

    def __call__(self, command: str) -> CommandResult:
        self.asked.append(command)
        return self.answers[command]


def test_a_green_suite_knows_no_failures_and_is_run_once():
    runs = Runs({COMMAND: result(0)})
    baseline = measure(runs, COMMAND)
    assert (baseline.known_failures, baseline.exit_code, runs.asked) == ((), 0, [COMMAND])


@pytest.mark.parametrize("command", [None, "make test", "npm test", "python -m pytest -- tests"])
def test_no_run_without_pytest_or_with_a_double_dash(command):
    runs = Runs({})
    baseline = measure(runs, command)
    assert (baseline.command, baseline.known_failures, runs.asked) == (command, (), [])


def test_the_tests_failing_on_the_fresh_clone_are_known():
    runs = Runs({COMMAND: result(1, "tests/test_b.py::test_two", "tests/test_a.py::test_x[1 2]")})
    baseline = measure(runs, COMMAND)
    assert baseline.known_failures == ("tests/test_a.py::test_x[1 2]", "tests/test_b.py::test_two")


@pytest.mark.parametrize(
    "run",
    [
        result(1, *(f"t.py::test_{n}" for n in range(MAX_KNOWN + 1))),  # too many
        result(1, "t.py::test_a", passed=0),  # nothing passes: no gate at all
        CommandResult(1, "Traceback (most recent call last): ...", False, False, 0.1),  # no summary
        result(124, "t.py::test_a", timed_out=True),
    ],
)
def test_a_suite_that_is_no_gate_keeps_the_finish_strict(run):
    assert measure(Runs({COMMAND: run}), COMMAND).known_failures == ()


KNOWN = ("t.py::test_bug", "t.py::test_metadata")


def test_only_the_known_failures_still_failing_are_deselected_and_the_exit_code_decides():
    baseline = Baseline(COMMAND, KNOWN, 1)
    narrowed = f"{COMMAND} --deselect t.py::test_metadata"
    runs = Runs({narrowed: result(0)})
    gate = baseline.judge(result(1, "t.py::test_metadata"), runs)
    assert gate.passed and gate.still_failing == ("t.py::test_metadata",)
    assert (gate.test.command, runs.asked) == (narrowed, [narrowed])
    # The rerun failing (the summary lied, or a test is flaky) refuses the finish.
    runs = Runs({narrowed: result(1, "t.py::test_other")})
    assert not baseline.judge(result(1, "t.py::test_metadata"), runs).passed


@pytest.mark.parametrize(
    "run",
    [
        result(1, "t.py::test_metadata", "t.py::test_new"),  # something new broke
        CommandResult(1, "killed", False, False, 0.1),  # nothing names what failed
        result(124, "t.py::test_metadata", timed_out=True),
    ],
)
def test_anything_beyond_the_known_failures_refuses_without_a_rerun(run):
    runs = Runs({})
    gate = Baseline(COMMAND, KNOWN, 1).judge(run, runs)
    assert not gate.passed and runs.asked == [] and gate.test.command == COMMAND


def test_without_known_failures_only_green_passes():
    assert Baseline(COMMAND).judge(result(0), Runs({})).passed
    assert not Baseline(COMMAND).judge(result(1, "t.py::test_metadata"), Runs({})).passed


def test_the_gate_command_quotes_ids_and_ignores_modules_that_do_not_import():
    command = gate_command(COMMAND, ["t.py::test_x[a b]", "tests/test_broken.py"])
    assert command == f"{COMMAND} --deselect 't.py::test_x[a b]' --ignore tests/test_broken.py"
