"""The local supervisor runs what AWS runs: a signed delivery from the GitHub stand-in
reaches the HTTP app under uvicorn, status sync drains the bus onto the issue, and
the reconcile poll runs on demand and on its timer."""

from __future__ import annotations

import time

import httpx
import pytest

from bzzz.config import get_settings
from bzzz.github import GitHubApi
from bzzz.status.render import MARKER
from bzzz.store.models import Repo, Task, bind
from cli.supervisor import Supervisor

REPO = "acme/calc"
SECRET = "supervisor-test-secret"


@pytest.fixture
def settings(aws_environ, github, monkeypatch):
    monkeypatch.setenv("GITHUB_API_URL", github.base_url)
    monkeypatch.setenv("GITHUB_TOKEN", github.tokens["alice"])
    monkeypatch.setenv("BZZZ_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    configured = get_settings()
    bind(configured)
    Repo(
        REPO, project_id=1, owner="acme", name="calc",
        git_url="https://github.com/acme/calc.git", updated_at=time.time(),
    ).save()  # fmt: skip
    return configured


def _eventually(check, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"never happened: {what}")


def _task(key: str) -> Task | None:
    try:
        return Task.get(key, consistent_read=True)
    except Task.DoesNotExist:
        return None


def test_a_label_on_github_becomes_a_task_and_a_status_comment(settings, github):
    bob = GitHubApi(github.base_url, token=github.tokens["bob"])
    with Supervisor(settings, reconcile_every=3600, drain_every=0.1) as supervisor:
        assert httpx.get(f"{supervisor.url}/health", timeout=10).status_code == 200
        github.set_webhook(f"{supervisor.url}/github/webhook", SECRET)
        github.act("alice", REPO, 1, "label", label="bzzz-task")
        comments = _eventually(
            lambda: [c for c in bob.comments(REPO, 1) if c.body.startswith(MARKER)],
            "the status comment",
        )
        assert len(comments) == 1 and "Queued" in comments[0].body
        assert Task.get(f"{REPO}#1").state == "queued"
        # The poll finds nothing to repair: the webhook already did the work.
        summary = supervisor.reconcile_now()
        assert summary.polled == 1 and summary.created == 0 and summary.errors == 0


def test_the_reconcile_timer_repairs_a_missed_webhook_without_http(settings, github):
    github.act("alice", REPO, 1, "label", label="bzzz-task")  # no webhook configured: missed
    with Supervisor(settings, app_factory=None, reconcile_every=0.2, drain_every=0.1):
        task = _eventually(lambda: _task(f"{REPO}#1"), "the task")
        bob = GitHubApi(github.base_url, token=github.tokens["bob"])
        _eventually(
            lambda: [c for c in bob.comments(REPO, 1) if c.body.startswith(MARKER)],
            "the status comment",
        )
    assert task.state == "queued"
