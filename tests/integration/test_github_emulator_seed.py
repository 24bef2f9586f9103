"""Seeds: the demo's world is what the demo needs, and impossible worlds are refused."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def run_tests(where) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(where)],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )


def test_demo_repo_has_a_failing_test_that_the_issue_describes(github, tmp_path):
    work = tmp_path / "calc"
    subprocess.run(
        ["git", "clone", "-q", github.git_url("acme/calc"), str(work)], check=True, env=ENV
    )
    before = run_tests(work)
    assert before.returncode == 1
    assert "1 failed, 1 passed" in before.stdout
    (work / "calc.py").write_text(
        (work / "calc.py").read_text().replace("range(1, n)", "range(1, n + 1)")
    )
    assert run_tests(work).returncode == 0
    issue = github.client("alice").rest.issues.get("acme", "calc", 1).parsed_data
    assert "test_sum_to_three" in (issue.body or "")


def test_reseed_replaces_the_world(github):
    seed = {"users": [{"login": "zoe", "token": "ghp_zoe"}], "repos": [{"name": "zoe/notes"}]}
    state = httpx.post(f"{github.base_url}/_emulator/seed", json=seed, timeout=10).json()
    assert state["repos"] == ["zoe/notes"]
    with github.http("ghp_zoe") as http:
        assert http.get("/repos/zoe/notes").json()["owner"]["login"] == "zoe"
        assert http.get("/repos/acme/calc").status_code == 404


@pytest.mark.github_seed(
    {
        "users": [{"login": "ann", "token": "ghp_ann"}],
        "repos": [{"name": "ann/x"}],
        "rate_limit": {"limit": 2, "status": 429},
    }
)
def test_seed_sets_the_rate_limit(github):
    with github.http("ghp_ann") as http:
        statuses = [http.get("/repos/ann/x").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
