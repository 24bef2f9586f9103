"""A verified fix, on the real parts: host git exports the base and the branch from its objects,
fresh Podman sandboxes run the tests on each, and the verdict follows their exit codes.

The upstream is a local repository cloned over file://; the sandbox image is the default.
A "fix" here is what an agent would leave in the work tree: files written, not committed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from runner.credentials import RepoToken
from runner.git.workspace import Workspace
from runner.sandbox.container import Sandbox, SandboxConfig
from runner.worker.verify import Verifier
from tests.fixtures.git_repos import git

BUGGY = "def mean(xs):\n    return sum(xs) / len(xs)\n"
FIXED = "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n"
OLD_TEST = "from stats import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n"
REGRESSION = OLD_TEST + "\n\ndef test_mean_of_nothing():\n    assert mean([]) == 0.0\n"
# Plain-python runner for when the image lacks pytest: exit 1 on any failure.
RUN_ALL = (
    "python3 -B -c 'import sys, tests.test_stats as t; fails = 0\n"
    "for n in dir(t):\n"
    '    if n.startswith("test_"):\n'
    "        try: getattr(t, n)()\n"
    '        except Exception as e: fails += 1; print("FAILED", n, repr(e))\n'
    "sys.exit(1 if fails else 0)'"
)


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    repo = tmp_path / "upstream"
    (repo / "tests").mkdir(parents=True)
    (repo / "stats.py").write_text(BUGGY)
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_stats.py").write_text(OLD_TEST)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "stats")
    return repo


@pytest.fixture
def workspace(upstream: Path, tmp_path: Path) -> Iterator[Workspace]:
    token = RepoToken("acme/stats", lambda: ("unused", time.time() + 3600), scoped=True)
    ws = Workspace(tmp_path / "state", "stats", token)
    ws.clone(f"file://{upstream}", "main")
    yield ws
    ws.remove()


@pytest.fixture
def verifier(workspace: Workspace, docker_client, sandbox_image, tmp_path: Path) -> Verifier:
    @contextmanager
    def sandbox(directory: Path) -> Iterator[Sandbox]:
        config = SandboxConfig(image=sandbox_image, command_timeout=60)
        with Sandbox(
            docker_client, directory, runner_id="test-runner", task_key="acme/stats#1",
            config=config,
        ) as box:  # fmt: skip
            yield box

    return Verifier(workspace, tmp_path / "verify", sandbox)


def has_pytest(docker_client, sandbox_image: str, tmp_path: Path) -> bool:
    (tmp_path / "probe").mkdir(exist_ok=True)
    config = SandboxConfig(image=sandbox_image)
    with Sandbox(docker_client, tmp_path / "probe", runner_id="test-runner",
                 task_key="probe", config=config) as box:  # fmt: skip
        return box.run("python3 -m pytest --version").ok


def test_a_fix_with_a_regression_test_is_verified(workspace, verifier, docker_client,
                                                  sandbox_image, tmp_path):  # fmt: skip
    (workspace.path / "stats.py").write_text(FIXED)
    (workspace.path / "tests" / "test_stats.py").write_text(REGRESSION)
    pytest_there = has_pytest(docker_client, sandbox_image, tmp_path)
    command = "python3 -m pytest -q" if pytest_there else RUN_ALL

    verdict = verifier.verify(command)

    assert verdict.verified, verdict.reason
    assert verdict.test_files == ("tests/test_stats.py",)
    assert verdict.base is not None and verdict.base.exit_code == 1
    assert verdict.branch is not None and verdict.branch.exit_code == 0
    assert verdict.base_commit == workspace.base
    if pytest_there:  # the evidence names the test that the fix turned green
        assert verdict.fail_to_pass == ("tests/test_stats.py::test_mean_of_nothing",)
        assert "-rA -p no:cacheprovider -- tests/test_stats.py" in verdict.base.command
    assert verdict.summary.startswith("verified fix: ")
    assert not (tmp_path / "verify").exists()  # the exported trees are gone
    # The base really was the base: its stats.py is the buggy one (read from git, not the tree).
    assert git(workspace.git_dir, "show", f"{workspace.base}:stats.py") == BUGGY


def test_a_green_suite_that_ships_a_non_fix_is_unverified(workspace, verifier):
    # The "fix" leaves the bug and adds a test that passes either way.
    (workspace.path / "stats.py").write_text(BUGGY + "# looked at it\n")
    weak = OLD_TEST + "\n\ndef test_mean_of_one():\n    assert mean([4]) == 4\n"
    (workspace.path / "tests" / "test_stats.py").write_text(weak)

    verdict = verifier.verify(RUN_ALL)

    assert not verdict.verified
    assert "pass on the base commit too" in verdict.reason
    assert verdict.base is not None and verdict.base.exit_code == 0
    assert verdict.summary.startswith("unverified: ")


def test_without_a_new_test_an_existing_failing_test_can_prove_the_fix(
    upstream, workspace, verifier
):
    # The issue came with a failing test already on main; the change fixes the code only.
    (upstream / "tests" / "test_stats.py").write_text(REGRESSION)
    git(upstream, "commit", "-qam", "a failing test for the empty list")
    workspace.clone(f"file://{upstream}", "main")
    (workspace.path / "stats.py").write_text(FIXED)

    verdict = verifier.verify(RUN_ALL)

    assert verdict.verified, verdict.reason
    assert verdict.test_files == ()
    assert "the test suite failing on the base commit" in verdict.reason


def test_no_test_command_is_unverified_without_running_anything(workspace, verifier):
    (workspace.path / "stats.py").write_text(FIXED)
    verdict = verifier.verify(None)
    assert (verdict.verified, verdict.base) == (False, None)
    assert "no test command" in verdict.reason


def test_a_link_out_of_the_tree_is_never_followed_on_the_host(workspace, verifier, tmp_path):
    secret = tmp_path / "host-secret"
    secret.write_text("do not read")
    (workspace.path / "stats.py").write_text(FIXED)
    (workspace.path / "tests" / "test_leak.py").symlink_to(secret)

    verdict = verifier.verify(RUN_ALL)

    assert not verdict.verified and "'tests/test_leak.py', which points out of it" in verdict.reason
    assert secret.read_text() == "do not read"
    assert not (tmp_path / "verify").exists()
