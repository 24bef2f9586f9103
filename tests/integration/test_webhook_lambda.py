"""The webhook through the Lambda entry point, with API Gateway events, moto and the stand-in."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bzzz.bus import Bus
from bzzz.store.models import WebhookDelivery
from bzzz.tasks.lifecycle import Lifecycle
from tests.events.http_api import (
    FIXTURE_DELIVERY,
    labeled_event,
    labeled_payload,
    reply_json,
    webhook_event,
)
from tests.fixtures.http_function import HttpFunction
from tests.fixtures.polling import arrivals_before_barrier, envelopes_until


def announced(fn: HttpFunction, count: int = 1) -> list[Any]:
    """The next `count` messages on the work queue, waited for."""
    return envelopes_until(Bus(fn.settings), "work", count)


def nothing_announced(fn: HttpFunction, task: str = "acme/calc#1") -> bool:
    return arrivals_before_barrier(Bus(fn.settings), task, ("work",))["work"] == []


def test_summoning_delivery_creates_the_task_and_announces_it(http_function: HttpFunction):
    reply = http_function(labeled_event())

    assert reply["statusCode"] == 200, reply
    body = reply_json(reply)
    assert body == {
        "delivery": FIXTURE_DELIVERY,
        "event": "issues.labeled",
        "outcome": "handled",
        "reason": "task created",
        "task": "acme/calc#1",
    }
    task = Lifecycle(http_function.settings).get("acme/calc#1")
    assert task is not None
    assert (task.state, task.title) == ("queued", "sum_to(n) leaves out n")
    [message] = announced(http_function)
    assert (message.type, message.task) == ("task.available", "acme/calc#1")
    assert WebhookDelivery.get(FIXTURE_DELIVERY).event == "issues.labeled"


def test_a_replayed_delivery_answers_200_and_changes_nothing(http_function: HttpFunction):
    http_function(labeled_event())
    before = Lifecycle(http_function.settings).get("acme/calc#1")
    announced(http_function)  # the first announcement, now taken

    reply = http_function(labeled_event())

    assert reply["statusCode"] == 200
    assert "replay" in reply_json(reply)["reason"]
    after = Lifecycle(http_function.settings).get("acme/calc#1")
    assert before is not None and after is not None
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert nothing_announced(http_function)


def test_a_read_only_summoner_gets_one_polite_comment_and_no_task(http_function: HttpFunction):
    payload = labeled_payload()
    payload["sender"]["login"] = "mallory"

    reply = http_function(webhook_event(payload, delivery="d-mallory"))

    assert reply["statusCode"] == 202
    assert "mallory has role 'read'" in reply_json(reply)["reason"]
    assert Lifecycle(http_function.settings).get("acme/calc#1") is None
    assert nothing_announced(http_function)
    comments = http_function.github.client("alice").rest.issues.list_comments("acme", "calc", 1)
    polite = [c for c in comments.json() if "@mallory" in c["body"]]
    assert len(polite) == 1
    assert "write access" in polite[0]["body"]
    # A replay of the same delivery does not comment again.
    http_function(webhook_event(payload, delivery="d-mallory"))
    comments = http_function.github.client("alice").rest.issues.list_comments("acme", "calc", 1)
    assert len([c for c in comments.json() if "@mallory" in c["body"]]) == 1


def test_unlabel_and_close_cancel_the_task(http_function: HttpFunction):
    http_function(labeled_event())
    payload = labeled_payload()
    payload["action"] = "unlabeled"

    reply = http_function(webhook_event(payload, delivery="d-unlabel"))

    assert (reply["statusCode"], reply_json(reply)["reason"]) == (200, "task cancelled")
    task = Lifecycle(http_function.settings).get("acme/calc#1")
    assert task is not None and task.state == "cancelled"
    closed = labeled_payload()
    closed["action"] = "closed"
    closed.pop("label")
    again = http_function(webhook_event(closed, delivery="d-close"))
    assert (again["statusCode"], reply_json(again)["reason"]) == (202, "task already cancelled")


def test_ping_answers_200_without_recording(http_function: HttpFunction):
    reply = http_function(
        webhook_event({"zen": "Keep it logically awesome.", "hook_id": 1}, event="ping")
    )

    assert (reply["statusCode"], reply_json(reply)["reason"]) == (200, "pong")


def test_log_lines_carry_the_delivery_and_task_and_metrics_go_out_as_emf(
    http_function: HttpFunction,
):
    """In a fresh process, as on Lambda: stdout is what CloudWatch would receive."""
    code = (
        "import json, sys, types\n"
        "import handlers.http as entry\n"
        "from tests.events.http_api import labeled_event\n"
        "reply = entry.handler(labeled_event(), types.SimpleNamespace(aws_request_id='r-1'))\n"
        "print('STATUS', reply['statusCode'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )

    lines = done.stdout.splitlines()
    assert "STATUS 200" in lines
    records = [json.loads(line) for line in lines if line.startswith("{")]
    [outcome] = [r for r in records if r.get("message") == "delivery 200: task created"]
    assert (outcome["delivery"], outcome["task"]) == (FIXTURE_DELIVERY, "acme/calc#1")
    assert outcome["request_id"] == "r-1"
    [emf] = [r for r in records if "_aws" in r]
    names = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"WebhookDeliveries", "TasksCreated"} <= names
    assert (emf["WebhookDeliveries"], emf["TasksCreated"]) == ([1.0], [1.0])


def test_a_labeled_delivery_from_before_a_finished_task_does_not_create_it_again(
    http_function: HttpFunction,
):
    """The delivery that summoned a finished task, delivered again (say it was deferred the
    first time and GitHub's redelivery came after the task ended), changes nothing; a new
    label, newer than the task, summons a new one."""
    from datetime import UTC, datetime

    lifecycle = Lifecycle(http_function.settings)
    http_function(labeled_event())
    announced(http_function)
    lifecycle.claim("acme/calc#1", "runner-a")
    lifecycle.start("acme/calc#1", "runner-a")
    pr = "https://github.test/acme/calc/pull/2"
    done = lifecycle.complete("acme/calc#1", "runner-a", pr, branch="bzzz/1-sum-to")

    # GitHub's redelivery keeps the delivery id; the first claim of it is gone (a deferred
    # delivery is forgotten so that its redelivery is handled anew).
    from bzzz.store.models import WebhookDelivery

    WebhookDelivery.get(FIXTURE_DELIVERY).delete()
    reply = http_function(labeled_event())

    assert reply["statusCode"] == 202, reply
    assert reply_json(reply)["reason"].startswith("task already completed, after this label")
    after = lifecycle.get("acme/calc#1")
    assert after is not None
    assert (after.state, after.version, after.pr_url, after.branch) == (
        "completed", done.version, pr, "bzzz/1-sum-to"
    )  # fmt: skip
    assert nothing_announced(http_function)

    relabelled = labeled_payload()
    relabelled["issue"]["updated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert relabelled["issue"]["updated_at"] > labeled_payload()["issue"]["updated_at"]
    http_function(webhook_event(relabelled, delivery="d-relabelled"))
    renewed = lifecycle.get("acme/calc#1")
    assert renewed is not None and (renewed.state, renewed.pr_url) == ("queued", None)
    [message] = announced(http_function)
    assert message.type == "task.available"


def test_a_labeled_delivery_with_a_malformed_time_is_refused_naming_the_field(
    http_function: HttpFunction,
):
    payload = labeled_payload()
    payload["issue"]["updated_at"] = "yesterday"

    reply = http_function(webhook_event(payload, delivery="d-bad-time"))

    assert reply["statusCode"] == 400, reply
    assert "payload.issue.updated_at" in reply_json(reply)["message"]
    assert Lifecycle(http_function.settings).get("acme/calc#1") is None


def test_a_delivery_whose_handler_died_is_refused_only_until_that_handlers_deadline(
    http_function: HttpFunction,
):
    """The first invocation claimed the delivery and was killed (its timeout, its memory):
    a redelivery is refused, saying when to retry, only while it could still be running."""
    import time

    from bzzz import aws
    from bzzz.intake.deliveries import Deliveries

    settings = http_function.settings
    dead = Deliveries(settings, aws.client("dynamodb", settings))
    dead.begin(FIXTURE_DELIVERY, "issues.labeled", handler_seconds=2.0)  # then it died

    refused = http_function(labeled_event())

    assert refused["statusCode"] == 409, refused
    retry_after = int(refused["headers"]["retry-after"])
    assert 1 <= retry_after <= 3
    assert f"redeliver in {retry_after} s" in reply_json(refused)["reason"]
    assert Lifecycle(settings).get("acme/calc#1") is None

    deadline = time.monotonic() + 30
    while (reply := http_function(labeled_event()))["statusCode"] == 409:
        assert time.monotonic() < deadline, "the dead handler's claim was never given up"
        time.sleep(0.2)
    assert (reply["statusCode"], reply_json(reply)["reason"]) == (200, "task created")
    [message] = announced(http_function)
    assert message.task == "acme/calc#1"


def test_a_claim_records_the_lambda_invocations_own_deadline(http_function: HttpFunction):
    import time

    from bzzz.store.models import WebhookDelivery

    http_function.remaining_ms = 7_000
    before = time.time()
    http_function(labeled_event())
    claim = WebhookDelivery.get(FIXTURE_DELIVERY)
    assert claim.stale_at is not None
    assert before + 7 <= claim.stale_at <= time.time() + 8 + 1


_CRASH_AFTER_THE_WRITE = """
import os, types
from bzzz.bus import Bus
import handlers.http as entry
from tests.events.http_api import labeled_event

def die(self, envelope):  # the process dies between the task's write and its announcement
    os._exit(137)

Bus.publish = die
context = types.SimpleNamespace(
    aws_request_id="r-crash", function_name="bzzz-http", memory_limit_in_mb=256,
    get_remaining_time_in_millis=lambda: 2000,
)
entry.handler(labeled_event(), context)
"""


def test_a_control_plane_dying_between_the_write_and_the_publish_loses_nothing(
    http_function: HttpFunction,
):
    """The task row exists, its task.available was never sent, the delivery's claim is left
    behind: GitHub's redelivery (once the dead handler's deadline passed) announces it."""
    import time

    done = subprocess.run(
        [sys.executable, "-c", _CRASH_AFTER_THE_WRITE], capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 137, done.stderr[-2000:]
    task = Lifecycle(http_function.settings).get("acme/calc#1")
    assert task is not None and task.state == "queued"
    assert nothing_announced(http_function)

    deadline = time.monotonic() + 30
    while (reply := http_function(labeled_event()))["statusCode"] == 409:
        assert time.monotonic() < deadline, "the dead handler's claim was never given up"
        time.sleep(0.2)
    assert (reply["statusCode"], reply_json(reply)["reason"]) == (
        200, "task already queued; announced again"
    )  # fmt: skip
    [message] = announced(http_function)
    assert (message.type, message.task) == ("task.available", "acme/calc#1")
    after = Lifecycle(http_function.settings).get("acme/calc#1")
    assert after is not None and (after.state, after.version) == ("queued", task.version)
