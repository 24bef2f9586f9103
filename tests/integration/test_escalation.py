"""Escalation through its Lambda entry point: help messages really published on the local
bus, SQS events built from what the escalation queue holds, the GitHub stand-in, and a real
HTTP receiver standing in for N8N."""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bzzz import aws, threads
from bzzz.bus import Bus
from bzzz.config import get_settings
from bzzz.escalation.notify import ESCALATED_LABEL, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verify
from bzzz.github import GitHubApi
from bzzz.messages import Envelope, MessageType
from bzzz.store.models import Task, bind
from bzzz.tasks.lifecycle import Lifecycle
from handlers import escalation as escalation_handler
from tests.events import scheduler_event, sqs_event
from tests.events.receivers import serve
from tests.fixtures.clock import ManualClock
from tests.fixtures.polling import wait_for_visible

REPO = "acme/calc"
KEY = f"{REPO}#1"
SECRET = "n8n-shared-secret"


@dataclass
class HookReceiver:
    """N8N's webhook node: records every POST, answers `status`."""

    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            return Response(b"", self.status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def hook():
    receiver = HookReceiver()
    served = serve(receiver)  # type: ignore[arg-type]
    yield receiver
    served.stop()


def _configure(monkeypatch, github, hook, **extra: str):
    values = {
        "GITHUB_API_URL": github.base_url, "GITHUB_TOKEN": github.tokens["alice"],
        "ESCALATION_WEBHOOK_URL": f"{hook.url}/hook", "BZZZ_ESCALATION_SECRET": SECRET,
        "BZZZ_HELP_TIMEOUT_SECONDS": "600", **extra,
    }  # fmt: skip
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    bind(settings)
    return settings


@pytest.fixture
def clock(monkeypatch):
    """The escalation handler's clock, moved by the test: deadlines pass without sleeping."""
    from bzzz.escalation import handler as escalations

    clock = ManualClock()
    build = functools.partial(escalations.build_escalations, clock=clock)
    monkeypatch.setattr(escalations, "build_escalations", build)
    return clock


@pytest.fixture
def escalated_task(aws_environ, github):
    """Task #1 claimed by runner-a and escalated by it (what the runner does on ask_for_help)."""

    def make(settings):
        lifecycle = Lifecycle(settings, publisher=Bus(settings))
        lifecycle.create(REPO, 1, "sum_to(n) leaves out n")
        lifecycle.claim(KEY, "runner-a")
        lifecycle.escalate(KEY, "runner-a", "asked for help")
        return lifecycle

    return make


def receive(settings, expect: int = 1) -> dict[str, Any]:
    """The Lambda SQS event for the escalation queue, once `expect` messages are there.

    SNS delivers some milliseconds after publishing (moto at once): wait for what
    was published, then receive once, as Lambda's poller would.
    """
    sqs = aws.client("sqs", settings)
    url = settings.queue_url("escalation")
    wait_for_visible(sqs, url, expect)
    reply = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10,
        MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"],
    )  # fmt: skip
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return sqs_event(reply.get("Messages", []), arn["Attributes"]["QueueArn"], "us-east-1")


def invoke(settings, event) -> set[str]:
    """Run the handler on `event`, delete the successes; return the failed message ids."""
    sqs = aws.client("sqs", settings)
    url = settings.queue_url("escalation")
    result = escalation_handler.handler(event, None)
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for record in event["Records"]:
        if record["messageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    return failed


def ask_for_help(settings, text="How should sum_to treat n = 0?") -> Envelope:
    help_request = Envelope(
        MessageType.HMMM_HELP, "runner-a", KEY,
        {"round": 1, "text": text, "trigger": "ask_for_help"},
    )  # fmt: skip
    Bus(settings).publish(help_request)
    return help_request


def escalation_comments(github) -> list[str]:
    comments = GitHubApi(github.base_url, token=github.tokens["bob"]).comments(REPO, 1)
    return [c.body for c in comments if "Bzzz needs a human" in c.body]


def test_unanswered_help_reaches_the_webhook_once_signed_even_when_delivered_twice(
    aws_environ, github, hook, monkeypatch, escalated_task, clock
):
    settings = _configure(monkeypatch, github, hook)
    escalated_task(settings)
    help_request = ask_for_help(settings)
    first = receive(settings)
    assert len(first["Records"]) == 1
    assert invoke(settings, first) == set()  # round 1 opened; nobody answers
    assert escalation_handler.handler(scheduler_event(), None)["due"] == 0
    clock.advance(settings.help_timeout_seconds + 1)  # past the deadline
    assert escalation_handler.handler(scheduler_event(), None)["due"] == 1
    due = receive(settings)
    assert len(due["Records"]) == 1
    # The same records delivered twice at once, then once more: one escalation.
    runs = [threading.Thread(target=escalation_handler.handler, args=(due, None)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    invoke(settings, due)
    assert escalation_handler.handler(scheduler_event(), None)["due"] == 0

    assert len(hook.received) == 1
    headers, body = hook.received[0]
    assert verify(SECRET, body, headers[SIGNATURE_HEADER.lower()])
    assert not verify("another secret", body, headers[SIGNATURE_HEADER.lower()])
    assert headers[IDEMPOTENCY_HEADER.lower()]
    payload = json.loads(body)
    assert payload["task_id"] == KEY and payload["task_title"] == "sum_to(n) leaves out n"
    assert payload["escalation_agent"] == "runner-a" and payload["repo"] == REPO
    assert payload["issue_url"].endswith("/acme/calc/issues/1")
    assert "no peer answered" in payload["reason"] and payload["round"] == 1
    assert [h["type"] for h in payload["history"]] == ["hmmm.help"]
    assert help_request.data["text"] in payload["history"][0]["text"]
    assert payload["thread"].startswith("<details>")

    comments = escalation_comments(github)
    assert len(comments) == 1 and "@alice" in comments[0] and "@bob" not in comments[0]
    issue = GitHubApi(github.base_url, token=github.tokens["bob"]).issue(REPO, 1)
    assert ESCALATED_LABEL in issue.labels
    kinds = [e.type for e in threads.entries(KEY)]
    assert kinds == ["hmmm.help", "hmmm.escalated"]


def test_help_rounds_past_the_limit_escalate_at_once(
    aws_environ, github, hook, monkeypatch, escalated_task
):
    settings = _configure(monkeypatch, github, hook, BZZZ_MAX_HELP_ROUNDS="1")
    escalated_task(settings)
    ask_for_help(settings, "first question")
    invoke(settings, receive(settings))
    assert hook.received == []
    ask_for_help(settings, "second question")
    invoke(settings, receive(settings))
    assert len(hook.received) == 1
    payload = json.loads(hook.received[0][1])
    assert payload["round"] == 2 and "2 help requests" in payload["reason"]


def test_a_peer_answer_requeues_the_task_with_the_answer_in_its_context(
    aws_environ, github, hook, monkeypatch, escalated_task, clock
):
    from bzzz.threads import thread_context

    settings = _configure(monkeypatch, github, hook)
    escalated_task(settings)
    help_request = ask_for_help(settings)
    invoke(settings, receive(settings))
    answer = Envelope(
        MessageType.HMMM_FEEDBACK, "runner-b", KEY,
        {"round": 1, "text": "sum_to(0) must be 0: loop to n + 1.", "in_reply_to": help_request.id},
    )  # fmt: skip
    threads.record(settings, answer)  # the peer writes its answer (bzzz.hmmm.Participant)
    Bus(settings).publish(answer)
    invoke(settings, receive(settings))
    assert Task.get(KEY, consistent_read=True).state == "queued"
    clock.advance(settings.help_timeout_seconds + 1)  # the answered request's deadline passes
    assert escalation_handler.handler(scheduler_event(), None)["due"] == 0
    assert hook.received == [] and escalation_comments(github) == []
    context = "\n".join(thread_context(KEY))
    assert help_request.data["text"] in context and "loop to n + 1" in context


def test_a_refused_webhook_is_retried_then_dead_lettered_and_later_sent_once(
    aws_environ, github, hook, monkeypatch, escalated_task
):
    settings = _configure(monkeypatch, github, hook, BZZZ_MAX_HELP_ROUNDS="1")
    escalated_task(settings)
    ask_for_help(settings, "first")
    invoke(settings, receive(settings))
    hook.status = 503
    ask_for_help(settings, "second")
    event = receive(settings)
    assert invoke(settings, event) == {event["Records"][0]["messageId"]}
    assert len(hook.received) == 3  # three attempts, with backoff
    assert len({h[IDEMPOTENCY_HEADER.lower()] for h, _ in hook.received}) == 1
    for _ in range(10):  # redeliveries until SQS moves it to the dead-letter queue
        event = receive(settings, expect=0)  # made visible again at once: no delivery to wait
        if not event["Records"]:
            break
        invoke(settings, event)
    sqs = aws.client("sqs", settings)
    dlq = Bus(settings).dead_letter_queue_url("escalation")
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=5).get(
        "Messages", []
    )
    assert [json.loads(m["Body"])["data"]["text"] for m in dead] == ["second"]
    # Replayed from the dead-letter queue once the receiver is back: sent, and only once.
    hook.status, before = 200, len(hook.received)
    sqs.send_message(
        QueueUrl=settings.queue_url("escalation"), MessageBody=dead[0]["Body"],
        MessageGroupId=KEY, MessageDeduplicationId="replay",
    )  # fmt: skip
    invoke(settings, receive(settings))
    invoke(settings, receive(settings))
    assert len(hook.received) == before + 1
    assert len(escalation_comments(github)) == 1
