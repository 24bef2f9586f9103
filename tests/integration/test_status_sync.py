"""Status sync through its Lambda entry point: SQS events built from messages really
published on the local bus, the GitHub stand-in, and a real HTTP Hive."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from bzzz import aws
from bzzz.bus import ERROR_ATTRIBUTE, Bus
from bzzz.config import get_settings
from bzzz.github import GitHubApi
from bzzz.messages import Envelope, MessageType
from bzzz.status.render import MARKER
from bzzz.store.models import Task, bind
from bzzz.tasks.lifecycle import Lifecycle
from handlers import status_sync as status_handler
from tests.events import sqs_event
from tests.events.receivers import FlakyProxy, HiveReceiver, serve
from tests.fixtures.polling import wait_for_visible

REPO = "acme/calc"
KEY = f"{REPO}#1"
PR = "https://github.com/acme/calc/pull/2"


def _configure(monkeypatch, github_url, token, **extra):
    monkeypatch.setenv("GITHUB_API_URL", github_url)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    bind(settings)
    return settings


@contextmanager
def through(proxy, github, monkeypatch):
    """Settings whose GitHub is `proxy` (a FlakyProxy in front of the stand-in), served
    for the block's length."""
    served = serve(proxy)
    try:
        yield _configure(monkeypatch, proxy.url, github.tokens["alice"])
    finally:
        served.stop()


@pytest.fixture
def settings(aws_environ, github, monkeypatch):
    return _configure(monkeypatch, github.base_url, github.tokens["alice"])


def deliver(settings, event=None, expect=1):
    """What Lambda's event source mapping does: receive, invoke, delete the successes.

    It waits until the `expect` messages published since the last delivery are
    in the queue (SNS delivers them some milliseconds after publishing), so
    that one receive sees them all, as the tests' single batch expects.
    """
    sqs = aws.client("sqs", settings)
    url = settings.queue_url("status")
    if event is None:
        wait_for_visible(sqs, url, expect)
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10,
            MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"],
        )  # fmt: skip
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        event = sqs_event(reply.get("Messages", []), arn["Attributes"]["QueueArn"], "us-east-1")
    result = status_handler.handler(event, None)
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for record in event["Records"]:
        if record["messageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    return event, result


def status_comments(github):
    comments = GitHubApi(github.base_url, token=github.tokens["bob"]).comments(REPO, 1)
    return [c for c in comments if c.body.startswith(MARKER)]


def labels(github):
    return {x for x in GitHubApi(github.base_url, token=github.tokens["bob"]).issue(REPO, 1).labels}


def writes(github):
    """Every GitHub call that changes something, in order."""
    return [(e.method, e.path) for e in github.exchanges if e.method != "GET"]


def test_one_comment_follows_the_task_from_queued_to_completed(settings, github):
    lifecycle = Lifecycle(settings, publisher=Bus(settings))
    lifecycle.create(REPO, 1, "sum_to(n) leaves out n")
    _, result = deliver(settings)
    assert result == {"batchItemFailures": []}
    [comment] = status_comments(github)
    assert "Queued" in comment.body and "1 of 3" in comment.body
    assert not {x for x in labels(github) if x.startswith("bzzz:")}

    lifecycle.claim(KEY, "runner-1")
    deliver(settings)
    [claimed] = status_comments(github)
    assert claimed.id == comment.id and "runner-1" in claimed.body
    assert "bzzz:claimed" in labels(github)

    lifecycle.start(KEY, "runner-1")
    progress = {"state": "running", "iteration": 3, "command": "python -m pytest -q",
                "exit_code": 1, "attempt": 1, "lease_owner": "runner-1"}  # fmt: skip
    Bus(settings).publish(Envelope(MessageType.TASK_PROGRESS, "runner-1", KEY, progress))
    deliver(settings, expect=2)  # start's own task.progress, then this one
    [running] = status_comments(github)
    assert "step 3" in running.body and "`python -m pytest -q`" in running.body
    assert "exit code 1" in running.body

    lifecycle.complete(KEY, "runner-1", PR, branch="bzzz/acme-calc-1")
    last_event, _ = deliver(settings)
    [done] = status_comments(github)
    assert done.id == comment.id and PR in done.body and "bzzz/acme-calc-1" in done.body
    assert {x for x in labels(github) if x.startswith("bzzz:")} == {"bzzz:done"}

    # Redelivery of the last message: nothing at all changes on GitHub.
    before = writes(github)
    assert deliver(settings, last_event)[1] == {"batchItemFailures": []}
    assert writes(github) == before
    posts = [w for w in before if w[0] == "POST" and w[1].endswith("/comments")]
    reactions = [w for w in before if w[1].endswith("/issues/1/reactions")]
    assert len(posts) == 1 and len(reactions) == 1


def test_a_stale_message_does_not_roll_the_comment_back(settings, github):
    lifecycle = Lifecycle(settings, publisher=Bus(settings))
    lifecycle.create(REPO, 1)
    lifecycle.claim(KEY, "runner-1")
    claimed_event, _ = deliver(settings, expect=2)
    claimed_body = [r["body"] for r in claimed_event["Records"] if "task.claimed" in r["body"]]
    lifecycle.start(KEY, "runner-1")
    lifecycle.complete(KEY, "runner-1", PR)
    deliver(settings, expect=2)
    done = status_comments(github)[0].body
    before = writes(github)
    # The claim again, as a new message (another id) carrying the old snapshot.
    old = Envelope.from_json(claimed_body[0])
    Bus(settings).publish(Envelope(old.type, old.sender, old.task, old.data))
    deliver(settings)
    assert status_comments(github)[0].body == done
    assert writes(github) == before
    assert {x for x in labels(github) if x.startswith("bzzz:")} == {"bzzz:done"}


def test_hive_gets_the_claim_and_every_status_with_task_number(aws_environ, github, monkeypatch):
    hive = HiveReceiver(
        repositories=[{"project_id": 7, "owner": "acme", "repository": "calc", "name": "calc",
                       "git_url": "https://github.com/acme/calc.git", "bzzz_enabled": True}]
    )  # fmt: skip
    served = serve(hive)
    try:
        settings = _configure(
            monkeypatch, github.base_url, github.tokens["alice"], HIVE_URL=hive.url
        )
        lifecycle = Lifecycle(settings, publisher=Bus(settings))
        lifecycle.create(REPO, 1)
        lifecycle.claim(KEY, "runner-1")
        _event, result = deliver(settings, expect=2)
        assert result == {"batchItemFailures": []}
        assert [(c["project_id"], c["task_number"], c["agent_id"]) for c in hive.claims] == [
            (7, 1, "runner-1")
        ]
        assert hive.claims[0]["claimed_at"].endswith("Z")
        assert len(hive.statuses) == 2
        assert all(s["task_number"] == 1 and s["project_id"] == 7 for s in hive.statuses)
        assert hive.statuses[-1]["status"] == "claimed"
        assert hive.statuses[-1]["metadata"]["agent"] == "runner-1"
    finally:
        served.stop()
    # Hive down: the issue is still updated and nothing is retried for Hive's sake.
    lifecycle.start(KEY, "runner-1")
    lifecycle.complete(KEY, "runner-1", PR)
    assert deliver(settings, expect=2)[1] == {"batchItemFailures": []}
    assert "bzzz:done" in labels(github)


def test_a_poison_record_fails_alone_and_an_invalid_one_goes_to_the_dlq(
    aws_environ, github, monkeypatch
):
    # Every GitHub call about issue 999 fails: its record can never succeed.
    proxy = FlakyProxy(upstream=github.base_url, method="POST", path_contains="/issues/999/")
    proxy.failures = 10**6
    with through(proxy, github, monkeypatch) as settings:
        lifecycle = Lifecycle(settings, publisher=Bus(settings))
        lifecycle.create(REPO, 1)
        lifecycle.create(REPO, 999)
        sqs = aws.client("sqs", settings)
        sqs.send_message(
            QueueUrl=settings.queue_url("status"), MessageBody='{"not": "an envelope"}',
            MessageGroupId="junk", MessageDeduplicationId="junk-1",
        )  # fmt: skip
        event, result = deliver(settings, expect=3)
        assert len(event["Records"]) == 3
        poison = [r["messageId"] for r in event["Records"] if f"{REPO}#999" in r["body"]]
        assert result["batchItemFailures"] == [{"itemIdentifier": poison[0]}]
        assert len(status_comments(github)) == 1
        dlq = Bus(settings).dead_letter_queue_url("status")
        dead = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=5, MessageAttributeNames=["All"])[
            "Messages"
        ]
        assert [m["Body"] for m in dead] == ['{"not": "an envelope"}']
        assert "invalid message" in dead[0]["MessageAttributes"][ERROR_ATTRIBUTE]["StringValue"]
        # Only the poison record is left on the status queue, for redelivery.
        again, result = deliver(settings)
        assert [r["messageId"] for r in again["Records"]] == poison
        assert result["batchItemFailures"] == [{"itemIdentifier": poison[0]}]


def test_a_github_5xx_is_retried_and_the_comment_posted_once(aws_environ, github, monkeypatch):
    proxy = FlakyProxy(upstream=github.base_url, method="POST", path_contains="/comments")
    with through(proxy, github, monkeypatch) as settings:
        Lifecycle(settings, publisher=Bus(settings)).create(REPO, 1)
        event, result = deliver(settings)
        assert result["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]
        assert proxy.failed == 1 and status_comments(github) == []
        assert Task.get(KEY, consistent_read=True).status_comment_id is None
        # SQS delivers it again: now GitHub answers.
        again, result = deliver(settings)
        assert again["Records"][0]["body"] == event["Records"][0]["body"]
        assert result == {"batchItemFailures": []}
        assert len(status_comments(github)) == 1


def test_a_tasks_messages_in_one_batch_are_mirrored_with_one_edit(settings, github):
    """Claimed, running and a progress step in one FIFO batch: each is judged (none is
    stale), but the comment is edited once, the labels set once, the row saved once."""
    lifecycle = Lifecycle(settings, publisher=Bus(settings))
    lifecycle.create(REPO, 1, "sum_to(n) leaves out n")
    deliver(settings)
    lifecycle.claim(KEY, "runner-1")
    lifecycle.start(KEY, "runner-1")
    progress = {"state": "running", "iteration": 2, "command": "pytest -q", "exit_code": 0,
                "attempt": 1, "lease_owner": "runner-1"}  # fmt: skip
    Bus(settings).publish(Envelope(MessageType.TASK_PROGRESS, "runner-1", KEY, progress))
    before = writes(github)
    version_before = int(Task.get(KEY, consistent_read=True).version)
    event, result = deliver(settings, expect=3)
    assert len(event["Records"]) == 3 and result == {"batchItemFailures": []}
    changed = writes(github)[len(before) :]
    edits = [w for w in changed if w[0] == "PATCH" and "/issues/comments/" in w[1]]
    assert len(edits) == 1, changed
    assert [w for w in changed if w[1].endswith("/labels")] == [
        ("POST", f"/repos/{REPO}/issues/1/labels")
    ]
    [comment] = status_comments(github)
    assert "step 2" in comment.body and "`pytest -q`" in comment.body
    task = Task.get(KEY, consistent_read=True)
    # claim and start moved it on by two; status sync's record, one write more.
    assert int(task.version) == version_before
    assert len(task.status_shown["handled"]) == 4  # the first delivery's and these three
    # The whole batch again (a redelivery): nothing changes on GitHub.
    settled = writes(github)
    assert deliver(settings, event)[1] == {"batchItemFailures": []}
    assert writes(github) == settled


def test_a_failing_task_fails_all_of_its_records_and_no_other(aws_environ, github, monkeypatch):
    # Every GitHub write about issue 999 fails: its two messages fail together.
    proxy = FlakyProxy(upstream=github.base_url, method="POST", path_contains="/issues/999/")
    proxy.failures = 10**6
    with through(proxy, github, monkeypatch) as settings:
        lifecycle = Lifecycle(settings, publisher=Bus(settings))
        lifecycle.create(REPO, 999)
        lifecycle.claim(f"{REPO}#999", "runner-1")
        lifecycle.create(REPO, 1)
        event, result = deliver(settings, expect=3)
        poison = {r["messageId"] for r in event["Records"] if f"{REPO}#999" in r["body"]}
        assert len(poison) == 2
        assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == poison
        # Neither of the failed pair is recorded as handled; the other task is mirrored.
        assert Task.get(f"{REPO}#999", consistent_read=True).status_shown is None
        assert len(status_comments(github)) == 1


def test_the_first_comment_and_its_record_are_one_write_refused_whole_when_either_moved(
    settings, github
):
    """`save_posted` records the posted comment and what it shows together, conditioned
    on both the reservation and the record read; refused, it writes nothing, and the
    sync falls back on the two writes that say which moved."""
    import time

    from bzzz.status.store import StatusStore

    Lifecycle(settings).create(REPO, 1, "sum_to(n) leaves out n")
    store = StatusStore(settings, aws.client("dynamodb", settings))
    reserved = store.reserve_comment(KEY, time.time())
    assert reserved is not None
    # The record moved since it was read (None: there was none): refused, nothing written.
    store.save_shown(KEY, {"version": 1}, None)
    assert not store.save_posted(KEY, 41, reserved, {"version": 2}, None)
    row = store.read(KEY)
    assert row is not None and row.comment_id is None and row.shown == {"version": 1}
    # Another reservation than this one: refused too.
    assert not store.save_posted(KEY, 41, reserved - 5, {"version": 2}, row.shown_raw)
    assert store.read(KEY).comment_id is None
    # Both as read: one write records both.
    assert store.save_posted(KEY, 41, reserved, {"version": 2}, row.shown_raw)
    row = store.read(KEY)
    assert row is not None and row.comment_id == 41 and row.shown == {"version": 2}
