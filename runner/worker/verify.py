"""Is the agent's change a verified fix? Its regression test fails on the base, passes on it.

A green suite alone proves little: a change that leaves the bug in place keeps
the suite green too. So, after the agent finished with the tests passing, the
runner takes the test files the change added or changed and runs them twice,
each time in a fresh sandbox on a tree exported from git's objects (never from
the work tree the agent's sandbox wrote):

    base   = the base commit, with the change's test files laid over it
    branch = the change as it will be pushed

What runs: with pytest, the change's test files alone; with pytest and no
test file changed, the whole suite (an existing test may show the bug, as a
failing test in the issue often does); with another test command, that
command. The fix is verified when the run fails on `base` (pytest exit 1,
tests failed, or 2, e.g. the test imports what only the fix adds; another
command: any failure but a timeout) and passes on `branch` (exit 0): a test
that fails without the change and passes with it. The tests that failed on
base and passed on branch (FAIL_TO_PASS, as SWE-bench calls them) are the
evidence shown on the pull request. Anything else is "unverified", with the
reason: no test command, everything passing on base already (nothing
reproduces the bug), failing on the branch in a fresh sandbox, or a setup
command failing there.

The verdict rests on exit codes. The per-test lists are read from pytest's
short summary (`-rA`), for display only: code under test could print lines
that look like it, and they are shown as evidence, never trusted as verdict.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import tarfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from bzzz.status.render import VERIFIED_NOTE
from runner.agent.types import TEST_OUTPUT_KEPT, TestRun
from runner.pytest_summary import pytest_launcher, summary_outcomes

if TYPE_CHECKING:
    from runner.git.workspace import Workspace
    from runner.sandbox.container import Sandbox

log = logging.getLogger(__name__)

MAX_TEST_FILES = 20
MAX_IDS_SHOWN = 10
FAILED_ON_BASE = (1, 2)  # tests failed; interrupted (a collection error: what the fix adds)


@dataclass(frozen=True)
class Verification:
    verified: bool
    reason: str  # one line: what proves it, or why there is no proof
    test_files: tuple[str, ...] = ()
    fail_to_pass: tuple[str, ...] = ()
    base: TestRun | None = None
    branch: TestRun | None = None
    base_commit: str = ""

    @property
    def summary(self) -> str:
        """The task's note for its status comment (bzzz.status.render reads the prefix)."""
        return f"{VERIFIED_NOTE if self.verified else 'unverified:'} {self.reason}"


def unverified(reason: str, **evidence: object) -> Verification:
    return Verification(False, reason, **evidence)  # type: ignore[arg-type]


def is_test_file(path: str) -> bool:
    """A file pytest collects by default: test_*.py or *_test.py."""
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def is_test_support(path: str) -> bool:
    """Laid over the base with the tests: test files, conftest.py, files in a tests folder."""
    parts = PurePosixPath(path).parts
    return (
        is_test_file(path)
        or parts[-1] == "conftest.py"
        or bool({"tests", "test"} & set(parts[:-1]))
    )


@dataclass
class Verifier:
    """Runs the targeted tests in fresh sandboxes: `sandbox(directory)` starts one on it."""

    workspace: Workspace
    scratch: Path  # a directory of the runner's own, emptied before and after
    sandbox: Callable[[Path], AbstractContextManager[Sandbox]]
    setup: Sequence[str] = ()
    runs: list[str] = field(default_factory=list)  # what ran where, for the trajectory

    def verify(self, test_command: str | None) -> Verification:
        if not test_command:
            return unverified("the repository has no test command (set `test` in .bzzz.yml)")
        tree = self.workspace.tree()
        present = self._present(tree, self.workspace.changed_paths(tree))
        tests = tuple(p for p in present if is_test_file(p))[:MAX_TEST_FILES]
        support = tuple(p for p in present if is_test_support(p))
        launcher = pytest_launcher(test_command)
        if launcher and tests:  # the change's own tests, alone
            command = f"{launcher} -rA -p no:cacheprovider -- " + " ".join(map(shlex.quote, tests))
            what = "the new tests"
        elif launcher:  # no test changed: an existing test may show the bug (the whole suite)
            command = f"{test_command} -rA -p no:cacheprovider"
            what = "the test suite"
        else:  # not pytest: the whole suite, judged by its exit code alone
            command, what = test_command, "the test suite"
        base_commit = self.workspace.base
        try:
            base = self._run("base", command, [(base_commit, None), (tree, support)])
            branch = self._run("branch", command, [(tree, None)])
        except tarfile.FilterError as exc:  # e.g. a symlink to /etc/passwd: never written
            name = exc.tarinfo.name[:200]
            return unverified(f"the tree holds {name!r}, which points out of it; not exported")
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
        evidence = {"test_files": tests, "base": base, "branch": branch, "base_commit": base_commit}
        if base is None or branch is None:
            return unverified("a setup command failed in the verification sandbox", **evidence)
        failed_on_base = (
            base.exit_code in FAILED_ON_BASE if launcher else base.exit_code not in (0, 124, 137)
        )
        if not failed_on_base:
            why = (
                f"{what} pass on the base commit too, so nothing shows the issue fixed; "
                "a test that reproduces the issue would"
                if base.passed
                else f"{what} did not run on the base commit (exit {base.exit_code})"
            )
            return unverified(why, **evidence)
        if not branch.passed:
            return unverified(
                f"{what} fail on the branch in a fresh sandbox (exit {branch.exit_code})",
                **evidence,
            )
        before, after = summary_outcomes(base.output), summary_outcomes(branch.output)
        fixed = tuple(t for t, r in after.items() if r == "PASSED" and before.get(t) != "PASSED")
        shown = ", ".join(fixed[:MAX_IDS_SHOWN]) or ", ".join(tests) or f"`{command}`"
        counted = f"{len(fixed)} test{'s' if len(fixed) != 1 else ''}" if fixed else what
        return Verification(
            True,
            f"{counted} failing on the base commit {base_commit[:12]} pass on the branch "
            f"({shown})",
            tests, fixed, base, branch, base_commit,
        )  # fmt: skip

    def _present(self, tree: str, paths: Sequence[str]) -> list[str]:
        """Which of `paths` are files in `tree` (a deleted test file proves nothing)."""
        if not paths:
            return []
        listed = self.workspace.git("ls-tree", "-r", "-z", "--name-only", tree, "--", *paths)
        return [p for p in listed.split("\0") if p]

    def _run(
        self, name: str, command: str, layers: list[tuple[str, Sequence[str] | None]]
    ) -> TestRun | None:
        """Export the layers (later over earlier; paths None: all of it) and run `command`."""
        directory = self.scratch / name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for rev, paths in layers:
            if paths is None or paths:
                self.workspace.export(rev, directory, paths or ())
        with self.sandbox(directory) as box:
            for step in self.setup:
                result = box.run(step)
                self.runs.append(f"{name}: {step} -> {result.exit_code}")
                if not result.ok:
                    log.warning("verification setup %r failed on %s", step, name)
                    return None
            result = box.run(command)
        self.runs.append(f"{name}: {command} -> {result.exit_code}")
        return TestRun(command, result.exit_code, result.output[-TEST_OUTPUT_KEPT:])
