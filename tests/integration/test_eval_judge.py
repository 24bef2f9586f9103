"""The judge on the real parts: hidden tests applied by `git apply` inside a fresh Podman
sandbox to a tree host git exported from a real repository, and judged by node id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from runner.evaluation.instances import parse_instance
from runner.evaluation.judge import judge
from runner.git.remote_tree import fetch_tree
from runner.sandbox.container import Sandbox, SandboxConfig
from tests.fixtures.git_repos import git

BUGGY = "def mean(xs):\n    return sum(xs) / len(xs)\n"
FIXED = "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n"
TESTS = "from stats import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n"
HIDDEN = TESTS + "\n\ndef test_empty():\n    assert mean([]) == 0.0\n"


def diff_of(repo: Path, path: str, new: str) -> str:
    old = (repo / path).read_text()
    (repo / path).write_text(new)
    out = git(repo, "diff", "--", path)
    (repo / path).write_text(old)
    return out


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    repo = tmp_path / "upstream"
    (repo / "tests").mkdir(parents=True)
    (repo / "stats.py").write_text(BUGGY)
    (repo / "tests" / "test_stats.py").write_text(TESTS)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "stats")
    return repo


@pytest.fixture
def instance(upstream: Path):
    return parse_instance({
        "instance_id": "local__stats-1", "repo": "local/stats",
        "base_commit": git(upstream, "rev-parse", "HEAD").strip(),
        "problem_statement": "mean([]) raises ZeroDivisionError",
        "FAIL_TO_PASS": ["tests/test_stats.py::test_empty"],
        "PASS_TO_PASS": ["tests/test_stats.py::test_mean"],
        "test_patch": diff_of(upstream, "tests/test_stats.py", HIDDEN),
        "patch": diff_of(upstream, "stats.py", FIXED),
    }, "test")  # fmt: skip


@pytest.fixture
def sandbox(docker_client, sandbox_image):
    @contextmanager
    def start(directory: Path) -> Iterator[Sandbox]:
        config = SandboxConfig(image=sandbox_image, command_timeout=120)
        with Sandbox(docker_client, directory, runner_id="test-runner", task_key="eval",
                     config=config) as box:  # fmt: skip
            yield box

    return start


def attempt(upstream: Path, root: Path, stats: str | None) -> Path:
    """The branch an agent would have pushed: the base with `stats` as its stats.py."""
    if stats is not None:
        (upstream / "stats.py").write_text(stats)
        git(upstream, "commit", "-qam", "attempt")
    fetch_tree(f"file://{upstream}", "HEAD", root / "tree", root / "fetch")
    return root


def test_the_gold_patch_resolves_and_the_base_does_not(upstream, instance, sandbox, tmp_path):
    base = judge(instance, attempt(upstream, tmp_path / "base", None), sandbox)
    assert (base.resolved, base.applied) == (False, True)
    assert base.fail_to_pass == {"tests/test_stats.py::test_empty": "FAILED"}
    assert base.pass_to_pass == {"tests/test_stats.py::test_mean": "PASSED"}
    assert base.missing == ["tests/test_stats.py::test_empty"]

    gold = judge(instance, attempt(upstream, tmp_path / "gold", FIXED), sandbox)
    assert gold.resolved and gold.missing == []
    assert not (tmp_path / "gold" / "fetch").exists()  # the throwaway clone is gone


def test_a_fix_that_breaks_a_passing_test_is_not_resolved(upstream, instance, sandbox, tmp_path):
    broken = "def mean(xs):\n    return 0.0\n"  # the empty case passes, the rest breaks
    verdict = judge(instance, attempt(upstream, tmp_path / "wrong", broken), sandbox)
    assert not verdict.resolved
    assert verdict.fail_to_pass == {"tests/test_stats.py::test_empty": "PASSED"}
    assert verdict.pass_to_pass == {"tests/test_stats.py::test_mean": "FAILED"}


def test_hidden_tests_that_do_not_apply_are_not_resolved(upstream, instance, sandbox, tmp_path):
    (upstream / "tests" / "test_stats.py").write_text("# the agent rewrote the tests\n")
    git(upstream, "commit", "-qam", "rewrite")
    verdict = judge(instance, attempt(upstream, tmp_path / "rewritten", FIXED), sandbox)
    assert (verdict.resolved, verdict.applied) == (False, False)
    assert "patch does not apply" in verdict.output or "error" in verdict.output
