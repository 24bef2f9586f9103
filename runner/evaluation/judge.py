"""Judging an attempt as SWE-bench does: the hidden tests on the agent's tree, in a fresh sandbox.

    verdict = judge(instance, tree, sandbox_factory)

`tree` is a directory holding the agent's branch (or the base commit, when the agent
pushed nothing), exported from git's objects. It is mounted at /workspace/tree of a
fresh sandbox, beside the instance's `test_patch`; inside the sandbox the patch is
applied (`git apply`, the tree is the agent's: nothing of it is touched on the host)
and FAIL_TO_PASS and PASS_TO_PASS run by node id with pytest's `-rA` summary. The
instance is resolved when the patch applies and every listed test PASSED.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runner.evaluation.instances import DEFAULT_TEST_COMMAND, Instance
from runner.pytest_summary import pytest_launcher, summary_outcomes

if TYPE_CHECKING:
    from runner.sandbox.container import Sandbox

PATCH_NAME = "hidden-tests.patch"  # beside the tree, never inside what the agent wrote
OUTPUT_KEPT = 4000


@dataclass(frozen=True)
class Verdict:
    resolved: bool
    applied: bool  # the hidden test patch applied to the agent's tree
    fail_to_pass: dict[str, str] = field(default_factory=dict)  # id -> PASSED/FAILED/...
    pass_to_pass: dict[str, str] = field(default_factory=dict)
    output: str = ""  # the tail of the test run (or of git apply)

    @property
    def missing(self) -> list[str]:
        """Listed tests that did not pass (failed, errored, or never ran)."""
        return [t for t, r in {**self.fail_to_pass, **self.pass_to_pass}.items() if r != "PASSED"]


def test_run_command(instance: Instance) -> str:
    """The instance's own test command when it names one (Bzzz's instances run the touched
    test files, with PYTHONPATH where the layout needs it), with pytest's `-rA` summary;
    else pytest on the listed node ids, as SWE-bench runs them."""
    command = instance.test_command
    if command and "pytest" in command:
        return command if " -rA" in f" {command}" else f"{command} -rA"
    launcher = pytest_launcher(command or "") or DEFAULT_TEST_COMMAND.removesuffix(" -q")
    ids = [*instance.fail_to_pass, *instance.pass_to_pass]
    return f"{launcher} -rA -p no:cacheprovider -- " + " ".join(map(shlex.quote, ids))


def judge(
    instance: Instance,
    root: Path,
    sandbox: Callable[[Path], AbstractContextManager[Sandbox]],
) -> Verdict:
    """`root` holds `tree/` (the attempt's files); the verdict of the hidden tests on it."""
    (root / PATCH_NAME).write_text(instance.test_patch, encoding="utf-8")
    apply = f"git apply --verbose --whitespace=nowarn ../{PATCH_NAME}"
    with sandbox(root) as box:
        applied = box.run(f"cd tree && {apply}")
        if not applied.ok:
            return Verdict(False, False, output=applied.output[-OUTPUT_KEPT:])
        for step in instance.setup:
            done = box.run(f"cd tree && {step}")
            if not done.ok:
                return Verdict(False, True, output=done.output[-OUTPUT_KEPT:])
        run = box.run(f"cd tree && {test_run_command(instance)}")
    outcomes = summary_outcomes(run.output)
    f2p = {t: outcomes.get(t, "NOT RUN") for t in instance.fail_to_pass}
    p2p = {t: outcomes.get(t, "NOT RUN") for t in instance.pass_to_pass}
    # The exit code too: a summary line is text the code under test could also print.
    resolved = run.exit_code == 0 and all(r == "PASSED" for r in (*f2p.values(), *p2p.values()))
    return Verdict(resolved, True, f2p, p2p, run.output[-OUTPUT_KEPT:])
