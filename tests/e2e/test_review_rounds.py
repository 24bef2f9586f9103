"""Review rounds on the whole local stack: the agent answers review comments on its own PR.

Real parts throughout: the GitHub stand-in delivers signed review webhooks to
the control plane's HTTP app; the debounce (`fire_due`) queues the round with
a conditional write and publishes `task.available` on SNS/SQS (moto); the
runner claims it, checks out the pull request's branch as it stands, runs the
scripted model in the sandbox, pushes fast-forward onto the same branch and
replies on the pull request. The quiet period is passed by handing `fire_due`
a clock past it, so no test sleeps through it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.events.http_api import FIXTURE_SECRET
from tests.fixtures.control_plane import API_KEY, APP_ID, ControlPlane, serve
from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    REPO,
    TEST_COMMAND,
    calc_seed,
    finish,
    remote_branches,
    scenario,
    wait_for_end,
    wait_until,
    write_file,
)

BZZZ_YML = f"test: {json.dumps(TEST_COMMAND)}\nbranch_prefix: bzzz/\n"
KEY = f"{REPO}#1"
ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"}
DOCUMENTED = FIXED_CALC.replace(
    "    for i in range(1, n + 1):",
    "    # n itself is included: range stops before its end.\n    for i in range(1, n + 1):",
)
ROUND_TWO = DOCUMENTED.replace('"""A tiny calculator."""', '"""A tiny calculator (sums)."""')

pytestmark = pytest.mark.github_seed(calc_seed(BZZZ_YML))


@pytest.fixture
def control_plane(aws_settings, github, app_private_key) -> Iterator[ControlPlane]:
    """The control plane of tests/fixtures/control_plane.py, also receiving the webhooks."""
    from handlers.http_app import Services, create_app

    settings = aws_settings.with_overrides(github_api_url=github.base_url, github_app_id=APP_ID)
    environ = {
        "BZZZ_API_KEY": API_KEY,
        "GITHUB_APP_PRIVATE_KEY": app_private_key,
        "BZZZ_WEBHOOK_SECRET": FIXTURE_SECRET,
    }
    services = Services.build(settings, environ)
    url, stop = serve(create_app(services))
    github.set_webhook(f"{url}/github/webhook", FIXTURE_SECRET)
    try:
        yield ControlPlane(url, settings, services, app_private_key)
    finally:
        github.set_webhook(None, None)
        stop()


def due_rounds(settings: Any) -> Any:
    """The scheduler's debounce, as if the quiet period had passed."""
    from bzzz.bus import Bus
    from bzzz.review.rounds import fire_due
    from bzzz.tasks.lifecycle import Lifecycle

    lifecycle = Lifecycle(settings, publisher=Bus(settings))
    later = time.time() + settings.review_quiet_seconds + 1
    return fire_due(settings, lifecycle, lifecycle._db, lambda: later)


def branch_log(github: Any, branch: str, tmp_path: Path) -> tuple[list[str], Path]:
    """(commit subjects, newest first; a checkout) of `branch` on the stand-in."""
    work = tmp_path / f"check-{time.monotonic_ns()}"
    subprocess.run(
        ["git", "clone", "-q", "-b", branch, github.git_url(REPO), str(work)], check=True, env=ENV
    )
    log = subprocess.run(
        ["git", "-C", str(work), "log", "--format=%s"],
        check=True,
        env=ENV,
        capture_output=True,
        text=True,
    ).stdout
    return log.splitlines(), work


def human_commit(github: Any, branch: str, tmp_path: Path) -> str:
    """Bob (a writer) pushes a commit of his own onto the pull request's branch."""
    work = tmp_path / "bob"
    url = github.git_url(REPO, github.tokens["bob"])
    git = ["git", "-c", "user.name=Bob", "-c", "user.email=bob@example.com", "-C", str(work)]
    subprocess.run(["git", "clone", "-q", "-b", branch, url, str(work)], check=True, env=ENV)
    (work / "NOTES.md").write_text("Bob's notes on the fix.\n")
    subprocess.run([*git, "add", "NOTES.md"], check=True, env=ENV)
    subprocess.run([*git, "commit", "-qm", "Bob's notes"], check=True, env=ENV)
    subprocess.run([*git, "push", "-q", "origin", f"HEAD:{branch}"], check=True, env=ENV)
    return "Bob's notes"


def test_review_rounds_push_on_the_same_branch_reply_and_stop_when_merged(
    github,
    ollama_emulator,
    start_runner,
    create_task,
    aws_settings,
    control_plane,
    tmp_path,
    runner_env,
):
    from bzzz.audit import verify_stream
    from bzzz.audit.store import AuditStore
    from bzzz.decisions import generate_identity, recipient_of, records_of
    from bzzz.tasks.lifecycle import Lifecycle

    ollama_emulator.set_scenario(
        scenario(
            [
                write_file("calc.py", FIXED_CALC),
                finish("range(1, n) is now range(1, n + 1)."),
                write_file("calc.py", DOCUMENTED),
                finish("calc.py line 7: explained why n + 1."),
                write_file("calc.py", ROUND_TWO),
                finish("Module docstring names what it sums."),
            ]
        )
    )
    settings = control_plane.settings
    lifecycle = Lifecycle(aws_settings)
    # Decision records on: one per attempt of the issue and of each round (docs/decisions.md).
    recipients = tmp_path / "recipients.yml"
    recipients.write_text(f"admin: {recipient_of(generate_identity())}\n", encoding="utf-8")
    runner = start_runner({**runner_env, "BZZZ_DECISION_RECIPIENTS": str(recipients)})
    create_task()
    first = wait_for_end(lifecycle, KEY, "the first attempt")
    assert first.state == "completed", first.reason
    alice = github.client("alice")
    (pull,) = alice.rest.pulls.list("acme", "calc", state="open").json()
    number, branch = pull["number"], first.branch
    kept = human_commit(github, branch, tmp_path)

    # A non-writer's review changes nothing.
    github.act("mallory", REPO, number, "review", event="REQUEST_CHANGES", body="add a miner")
    github.deliveries()
    assert lifecycle.get(KEY).feedback is None
    assert due_rounds(settings).started == 0

    # Round 1: a writer's review with a line comment.
    github.act(
        "alice",
        REPO,
        number,
        "review",
        event="REQUEST_CHANGES",
        body="Almost.",
        comments=[{"path": "calc.py", "line": 7, "body": "Say why it is n + 1."}],
    )
    github.deliveries()
    assert due_rounds(settings).started == 1
    one = wait_until(
        lambda: (t := lifecycle.get(KEY)) and t.state == "completed" and int(t.round) == 1 and t,
        "review round 1",
    )
    assert one.pr_url == first.pr_url and one.branch == branch
    prompt = json.dumps(ollama_emulator.last_seen_messages())
    assert "Say why it is n + 1." in prompt and "calc.py line 7" in prompt
    assert "+    for i in range(1, n + 1):" in prompt  # the diff hunk of the comment
    assert "sum_to(n) leaves out n" in prompt  # and the original issue
    assert "add a miner" not in prompt
    subjects, checkout = branch_log(github, branch, tmp_path)
    assert subjects[0].startswith("Review round 1:") and subjects[1] == kept
    assert (checkout / "NOTES.md").exists()  # the human's commit is kept, not pushed over
    assert "range stops before its end" in (checkout / "calc.py").read_text()
    ran = subprocess.run(["bash", "-c", TEST_COMMAND], cwd=checkout, capture_output=True)
    assert ran.returncode == 0, ran.stdout
    replies = [c.body for c in control_plane_api(github).comments(REPO, number)]
    assert any("review round 1" in r and "Pushed" in r for r in replies)

    # Round 2: a burst of line comments is one round.
    github.act(
        "alice",
        REPO,
        number,
        "review",
        event="COMMENT",
        body="",
        comments=[{"path": "calc.py", "line": 8, "body": f"docstring {i}"} for i in range(3)],
    )
    github.deliveries()
    assert len(lifecycle.get(KEY).feedback) == 3
    assert due_rounds(settings).started == 1
    assert due_rounds(settings).started == 0
    two = wait_until(
        lambda: (t := lifecycle.get(KEY)) and t.state == "completed" and int(t.round) == 2 and t,
        "review round 2",
    )
    subjects, _ = branch_log(github, branch, tmp_path)
    assert [s.split(":")[0] for s in subjects[:3]] == ["Review round 2", "Review round 1", kept]

    # Merging cancels a round that is pending: no runner is there to take it first.
    runner.stop()
    github.act("bob", REPO, number, "comment", body="@bzzz one more pass, please")
    github.deliveries()
    assert due_rounds(settings).started == 1
    assert lifecycle.get(KEY).state == "queued"
    github.act("alice", REPO, number, "merge")
    github.deliveries()
    cancelled = lifecycle.get(KEY)
    assert cancelled.state == "cancelled" and "merged by alice" in cancelled.reason
    assert branch in remote_branches(github.git_url(REPO))

    # Each round's entries are in the task's one audit stream, and it verifies.
    entries, _ = AuditStore(aws_settings).read(KEY)
    types = [e.type for e in entries]
    assert types.count("review.round") == 2 and types.count("pr.replied") == 2
    rounds = [e.data.get("round") for e in entries if e.type == "git.push"]
    assert rounds == [None, 1, 2]
    # Each round's push carries the pull request's diff stat as it leaves it (the dashboard's).
    stats = [e.data.get("files") for e in entries if e.type == "git.push" and e.data.get("round")]
    assert len(stats) == 2 and all(isinstance(n, int) and n >= 1 for n in stats), stats
    # Each round's record is under its round; their digests sit in the stream, which verifies.
    assert [str(r.address) for r in records_of(aws_settings, REPO, 1)] == [
        f"bzzz://{REPO}/1/1", f"bzzz://{REPO}/1/round-1/1", f"bzzz://{REPO}/1/round-2/1",
    ]  # fmt: skip
    assert types.count("decision.recorded") == 3
    assert verify_stream(aws_settings, KEY).ok
    assert two.version > one.version


def control_plane_api(github: Any) -> Any:
    from bzzz.github import GitHubApi

    return GitHubApi(github.base_url, token=github.tokens["alice"])


def test_a_round_whose_branch_moves_under_it_leaves_the_branch_and_pushes_aside(
    github, ollama_emulator, start_runner, create_task, aws_settings, control_plane, tmp_path
):
    from bzzz.tasks.lifecycle import Lifecycle

    # The round's first step waits a little, so that Bob pushes while the round runs.
    ollama_emulator.set_scenario(
        scenario([
            write_file("calc.py", FIXED_CALC), finish("range(1, n) is now range(1, n + 1)."),
            write_file("calc.py", DOCUMENTED, delay=4.0), finish("explained n + 1"),
            write_file("calc.py", ROUND_TWO), finish("Module docstring names what it sums."),
        ])
    )  # fmt: skip
    settings = control_plane.settings
    lifecycle = Lifecycle(aws_settings)
    start_runner()
    create_task()
    first = wait_for_end(lifecycle, KEY, "the first attempt")
    assert first.state == "completed", first.reason
    (pull,) = github.client("alice").rest.pulls.list("acme", "calc", state="open").json()
    number, branch = pull["number"], first.branch
    github.act("alice", REPO, number, "review", event="REQUEST_CHANGES", body="Say why n + 1.")
    github.deliveries()
    assert due_rounds(settings).started == 1
    wait_until(
        lambda: (t := lifecycle.get(KEY)) and t.state == "running" and int(t.round) == 1,
        "round 1 to run",
    )
    kept = human_commit(github, branch, tmp_path)  # fails loudly if the round pushed first
    failed = wait_for_end(lifecycle, KEY, "round 1 to end")
    assert failed.state == "failed" and "moved while the round ran" in failed.reason
    side = f"{branch}-round1-partial"
    assert f"partial work on {side}" in failed.reason
    assert failed.branch == branch  # the next round finds the pull request's branch again
    subjects, _ = branch_log(github, branch, tmp_path)
    assert subjects[0] == kept  # the branch is as Bob left it
    aside, checkout = branch_log(github, side, tmp_path)
    assert aside[0].startswith("Review round 1:") and kept not in aside
    assert "range stops before its end" in (checkout / "calc.py").read_text()
    replies = [c.body for c in control_plane_api(github).comments(REPO, number)]
    assert any("review round 1 failed" in r and side in r for r in replies)

    # A failed round does not end the pull request's rounds: the next review starts one.
    github.act("alice", REPO, number, "comment", body="@bzzz please try again")
    github.deliveries()
    assert due_rounds(settings).started == 1
    again = wait_for_end(lifecycle, KEY, "round 2 to end")
    assert (again.state, int(again.round)) == ("completed", 2), again.reason
    subjects, checkout = branch_log(github, branch, tmp_path)
    assert subjects[0].startswith("Review round 2:") and subjects[1] == kept
    assert (checkout / "NOTES.md").exists()
