"""The reconcile poll through its Lambda entry point (a Scheduler event), on the local
AWS backend and the GitHub stand-in, over real sockets."""

from __future__ import annotations

import time

import pytest
import yaml

from bzzz.bus import Bus
from bzzz.config import get_settings
from bzzz.github import GitHubApi
from bzzz.reconcile.poll import build_reconciler
from bzzz.store.models import Repo, Task, bind
from bzzz.tasks.lifecycle import Lifecycle
from handlers import reconcile as reconcile_handler
from infra.github_emulator import DEMO_SEED
from tests.events import scheduler_event
from tests.events.receivers import HiveReceiver, serve
from tests.fixtures.polling import envelopes_until

REPO = "acme/calc"


def _configure(monkeypatch, github, **extra):
    monkeypatch.setenv("GITHUB_API_URL", github.base_url)
    monkeypatch.setenv("GITHUB_TOKEN", github.tokens["alice"])
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    bind(settings)
    return settings


def _register(*repos: str) -> None:
    for i, full_name in enumerate(repos, start=1):
        owner, _, name = full_name.partition("/")
        Repo(
            full_name, project_id=i, owner=owner, name=name,
            git_url=f"https://github.com/{full_name}.git", updated_at=time.time(),
        ).save()  # fmt: skip


@pytest.fixture
def settings(aws_environ, github, monkeypatch):
    configured = _configure(monkeypatch, github)
    _register(REPO)
    return configured


def _run():
    return reconcile_handler.handler(scheduler_event(), None)


def _remaining(github) -> int:
    reply = github.http(github.tokens["alice"]).get("/rate_limit")
    return int(reply.json()["resources"]["core"]["remaining"])


def _task(key: str) -> Task:
    return Task.get(key, consistent_read=True)


def test_creates_a_task_a_webhook_missed_and_announces_it(settings, github):
    github.act("alice", REPO, 1, "label", label="bzzz-task")
    summary = _run()
    assert summary["created"] == 1 and summary["polled"] == 1 and not summary["rate_limited"]
    task = _task(f"{REPO}#1")
    assert task.state == "queued" and task.title == "sum_to(n) leaves out n"
    work = envelopes_until(Bus(settings), "work", 1)
    assert [(m.type, m.task) for m in work] == [("task.available", f"{REPO}#1")]
    # A second run finds the task: nothing new.
    assert _run()["created"] == 0


def test_cancels_a_task_whose_issue_lost_the_label_or_closed(settings, github):
    Lifecycle(settings).create(REPO, 1, "sum_to(n) leaves out n")
    summary = _run()
    assert summary["cancelled"] == 1
    assert _task(f"{REPO}#1").state == "cancelled"


def test_a_finished_task_is_not_summoned_again_by_the_poll(settings, github):
    lifecycle = Lifecycle(settings)
    lifecycle.create(REPO, 1)
    lifecycle.claim(f"{REPO}#1", "runner-1")
    lifecycle.start(f"{REPO}#1", "runner-1")
    lifecycle.complete(f"{REPO}#1", "runner-1", "https://github.com/acme/calc/pull/2")
    github.act("alice", REPO, 1, "label", label="bzzz-task")
    assert _run()["created"] == 0
    assert _task(f"{REPO}#1").state == "completed"


def test_a_task_made_and_finished_while_the_poll_runs_is_not_made_again(
    aws_environ, github, monkeypatch
):
    """The poll lists the tasks, then asks GitHub who labelled each issue it saw no task for;
    meanwhile a webhook made the task and a runner finished it. The poll's summons knows of
    no event, so it makes a task only where none exists (rule create_missed): the finished
    row, its pull request and branch stay (a scale run saw them overwritten and redone)."""
    from tests.events.receivers import FlakyProxy

    key = f"{REPO}#1"
    lifecycle = Lifecycle(get_settings())

    def meanwhile(path: str) -> None:
        if lifecycle.get(key) is None:
            lifecycle.create(REPO, 1, event_at=time.time() - 1, delivery="d-1")
            lifecycle.claim(key, "runner-1")
            lifecycle.start(key, "runner-1")
            lifecycle.complete(key, "runner-1", "https://github.com/acme/calc/pull/2", "bzzz/1-x")

    proxy = FlakyProxy(
        upstream=github.base_url, method="GET", path_contains="/events", failures=0,
        meanwhile=meanwhile,
    )  # fmt: skip
    served = serve(proxy)
    try:
        _configure(monkeypatch, github, GITHUB_API_URL=proxy.url)
        _register(REPO)
        github.act("alice", REPO, 1, "label", label="bzzz-task")
        assert _run()["created"] == 0
    finally:
        served.stop()
    task = _task(key)
    assert (task.state, task.pr_url, task.branch) == (
        "completed", "https://github.com/acme/calc/pull/2", "bzzz/1-x",
    )  # fmt: skip


def test_requeues_an_expired_lease_with_a_new_attempt(settings, github):
    github.act("alice", REPO, 1, "label", label="bzzz-task")
    past = Lifecycle(settings, clock=lambda: time.time() - 3 * settings.lease_seconds)
    past.create(REPO, 1)
    past.claim(f"{REPO}#1", "runner-gone")
    summary = _run()
    assert summary["requeued"] == 1 and summary["failed"] == 0
    task = _task(f"{REPO}#1")
    assert (task.state, task.attempt, task.lease_owner) == ("queued", 2, None)


def test_past_the_last_attempt_an_expired_lease_fails_with_a_comment(
    aws_environ, github, monkeypatch
):
    settings = _configure(monkeypatch, github, BZZZ_MAX_ATTEMPTS="1")
    _register(REPO)
    github.act("alice", REPO, 1, "label", label="bzzz-task")
    past = Lifecycle(settings, clock=lambda: time.time() - 3 * settings.lease_seconds)
    past.create(REPO, 1)
    past.claim(f"{REPO}#1", "runner-gone")
    summary = _run()
    assert summary["failed"] == 1 and summary["requeued"] == 0
    task = _task(f"{REPO}#1")
    assert task.state == "failed" and "gave up after 1 attempts" in task.reason
    comments = GitHubApi(github.base_url, token=github.tokens["bob"]).comments(REPO, 1)
    assert "Bzzz gave up on this issue" in comments[-1].body
    assert "`bzzz-task`" in comments[-1].body


def test_republishes_a_task_stuck_in_queued_once_per_window(settings, github):
    github.act("alice", REPO, 1, "label", label="bzzz-task")
    old = time.time() - 10 * settings.lease_seconds
    Lifecycle(settings, clock=lambda: old).create(REPO, 1)  # its announcement went nowhere
    bus = Bus(settings)
    assert _run()["republished"] == 1
    assert [m.type for m in envelopes_until(bus, "work", 1)] == ["task.available"]
    assert _run()["republished"] == 0


def test_an_unchanged_repo_spends_no_rate_limit(settings, github):
    github.act("alice", REPO, 1, "label", label="bzzz-task")
    assert _run()["unchanged"] == 0
    before = _remaining(github)
    summary = _run()
    assert summary["unchanged"] == 1 and summary["polled"] == 1
    assert _remaining(github) == before
    assert Repo.get(REPO).issues_etag


def _three_repos() -> dict:
    seed = yaml.safe_load(DEMO_SEED.read_text())
    first = seed["repos"][0]
    for name in ("acme/three", "acme/two"):
        seed["repos"].append({**first, "name": name})
    return seed


@pytest.mark.github_seed(_three_repos())
def test_a_spent_rate_limit_stops_early_and_the_next_run_resumes_there(settings, github):
    _register("acme/three", "acme/two")
    for repo in (REPO, "acme/three", "acme/two"):
        github.act("alice", repo, 1, "label", label="bzzz-task")
    # Budget for one repository: acme/calc's listing, its labeller's events and role;
    # acme/three is refused.
    github.set_rate_limit(limit=5000, remaining=3)
    summary = _run()
    assert summary["rate_limited"] and summary["resume_repo"] == "acme/three"
    assert summary["polled"] == 1 and summary["created"] == 1
    # Before GitHub's reset time, the poll does not even ask.
    assert _run()["polled"] == 0
    # After it, the next run starts where the last one stopped.
    github.set_rate_limit(limit=5000)
    later = build_reconciler(settings)
    later._clock = lambda: time.time() + 7200
    resumed = later.run()
    assert not resumed.rate_limited and resumed.polled == 3
    assert resumed.created == 2 and resumed.unchanged == 1
    assert {t.key for t in Task.scan()} == {f"{r}#1" for r in (REPO, "acme/three", "acme/two")}


def test_repos_come_from_hive_and_a_hive_outage_does_not_fail_the_run(
    aws_environ, github, monkeypatch
):
    hive = HiveReceiver(
        repositories=[
            {"project_id": 7, "name": "calc", "owner": "acme", "repository": "calc",
             "git_url": "https://github.com/acme/calc.git", "branch": "main",
             "bzzz_enabled": True, "ready_to_claim": True, "private_repo": False,
             "github_token_required": False},
        ]
    )  # fmt: skip
    served = serve(hive)
    try:
        _configure(monkeypatch, github, HIVE_URL=hive.url)
        github.act("alice", REPO, 1, "label", label="bzzz-task")
        summary = _run()
        assert summary["repos"] == 1 and summary["created"] == 1
        assert not summary["hive_unavailable"]
        assert Repo.get(REPO).project_id == 7  # registered, with its ETag
    finally:
        served.stop()
    # Hive is gone now: the run falls back to the registry and still succeeds.
    summary = _run()
    assert summary["hive_unavailable"] and summary["repos"] == 1 and summary["unchanged"] == 1


def test_a_github_5xx_that_outlasts_the_retries_skips_the_repo_and_the_next_run_retries_it(
    aws_environ, github, monkeypatch
):
    from bzzz.github.client import DEFAULT_RETRIES
    from tests.events.receivers import FlakyProxy

    # Every try of this run fails (a single 5xx is retried within the run: test_github_client).
    proxy = FlakyProxy(
        upstream=github.base_url, method="GET", path_contains="/issues",
        failures=DEFAULT_RETRIES.attempts,
    )  # fmt: skip
    served = serve(proxy)
    try:
        _configure(monkeypatch, github, GITHUB_API_URL=proxy.url)
        _register(REPO)
        github.act("alice", REPO, 1, "label", label="bzzz-task")
        failed = _run()
        assert failed["errors"] == 1 and failed["created"] == 0 and not failed["rate_limited"]
        assert Repo.get(REPO).issues_etag is None  # so the next run lists it again
        retried = _run()
        assert retried["errors"] == 0 and retried["created"] == 1
    finally:
        served.stop()


@pytest.mark.github_seed(_three_repos())
def test_a_run_out_of_time_stops_making_missed_tasks_and_the_next_resumes(settings, github):
    """After an outage hundreds of issues may lack a task; one run makes them only for its
    time budget (each costs GitHub requests and writes), so its sweep of expired leases
    is never held up for minutes; the next run starts at the repository it stopped in."""
    from bzzz.bus import Bus
    from bzzz.reconcile.credentials import GitHubPicker
    from bzzz.reconcile.poll import Reconciler
    from bzzz.secrets import SecretStore

    repos = (REPO, "acme/three", "acme/two")
    _register(*repos[1:])
    for repo in repos:
        github.act("alice", repo, 1, "label", label="bzzz-task")
    ticks = iter(range(1_000))  # a clock that moves one second each time it is read

    def reconciler() -> Reconciler:
        return Reconciler(
            settings, github=GitHubPicker(settings, SecretStore(settings)),
            publisher=Bus(settings), budget_seconds=2.5, monotonic=lambda: float(next(ticks)),
        )  # fmt: skip

    first = reconciler().run()
    assert first.unfinished and 0 < first.created < 3, first
    assert not first.rate_limited and first.resume_repo in repos
    assert Repo.get(first.resume_repo).issues_etag is None  # listed again next run
    runs = [first]
    while sum(run.created for run in runs) < 3 and len(runs) < 5:
        runs.append(reconciler().run())  # each goes on where the last stopped
    assert [run.created for run in runs] == [1, 1, 1], runs
    assert [run.resume_repo for run in runs[:2]] == ["acme/three", "acme/two"]
    assert {t.key for t in Task.scan()} == {f"{r}#1" for r in repos}


def test_with_token_auth_the_configured_repositories_are_polled(aws_environ, github, monkeypatch):
    """Token mode: no installation event ever fills the registry, so an issue labelled while
    the control plane was down is found only through BZZZ_REPOSITORIES."""
    settings = _configure(monkeypatch, github, BZZZ_REPOSITORIES=f" {REPO} , ")
    assert settings.repositories == frozenset({REPO})
    assert list(Repo.scan()) == []  # nothing registered
    github.act("alice", REPO, 1, "label", label="bzzz-task")

    summary = _run()

    assert (summary["repos"], summary["polled"], summary["created"]) == (1, 1, 1)
    assert _task(f"{REPO}#1").state == "queued"
    # Polled once more: the ETag the first run kept makes it free.
    assert _run()["unchanged"] == 1


def test_without_repositories_configured_the_token_mode_poll_has_nothing(
    aws_environ, github, monkeypatch
):
    _configure(monkeypatch, github)
    github.act("alice", REPO, 1, "label", label="bzzz-task")
    summary = _run()
    assert (summary["repos"], summary["created"]) == (0, 0)
