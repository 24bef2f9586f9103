"""What the webhook answers to every kind of bad or unwelcome delivery, through Lambda.

One table of inputs with the answer each must get; then the cases that need a
world around them (a task to comment on, GitHub failing mid-check, our own
table gone).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bzzz import aws
from bzzz.store.models import WebhookDelivery
from bzzz.tasks.lifecycle import Lifecycle
from tests.events.http_api import labeled_payload, reply_json, webhook_event
from tests.events.receivers import FlakyProxy, serve
from tests.fixtures.http_function import HttpFunction

MAX = 4 * 1024 * 1024


def _payload(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    payload = labeled_payload()
    change(payload)
    return payload


def _pull_request(payload: dict[str, Any]) -> None:
    payload["issue"]["pull_request"] = {
        "url": "https://api.github.com/repos/acme/calc/pulls/1",
        "html_url": "https://github.com/acme/calc/pull/1",
        "diff_url": "https://github.com/acme/calc/pull/1.diff",
        "patch_url": "https://github.com/acme/calc/pull/1.patch",
        "merged_at": None,
    }


BAD_INPUTS = [
    (
        "bad signature",
        webhook_event(secret="not the secret", body=labeled_payload()),
        401,
        "header signature",
    ),
    (
        "missing signature",
        webhook_event(headers={"x-hub-signature-256": None}),
        401,
        "header signature",
    ),
    (
        "signature without prefix",
        webhook_event(headers={"x-hub-signature-256": "abc"}),
        401,
        "header signature",
    ),
    (
        "missing event header",
        webhook_event(headers={"x-github-event": None}),
        400,
        "header x-github-event",
    ),
    (
        "missing delivery header",
        webhook_event(headers={"x-github-delivery": None}),
        400,
        "header x-github-delivery",
    ),
    ("malformed JSON", webhook_event(b'{"action": "labeled",'), 400, "body"),
    ("JSON that is not an object", webhook_event(b"[1, 2]"), 400, "body"),
    (
        "form-encoded body",
        webhook_event(headers={"content-type": "application/x-www-form-urlencoded"}),
        415,
        "header content-type",
    ),
    ("no content type", webhook_event(headers={"content-type": None}), 415, "header content-type"),
    ("oversized body", webhook_event(b" " * (MAX + 1)), 413, "body"),
    (
        "payload without repository",
        webhook_event(_payload(lambda p: p.pop("repository"))),
        400,
        "payload.repository.full_name",
    ),
    (
        "issue number not a number",
        webhook_event(_payload(lambda p: p["issue"].update(number="1"))),
        400,
        "payload.issue.number",
    ),
    (
        "issue as a list",
        webhook_event(_payload(lambda p: p.update(issue=[1]))),
        400,
        "payload.issue.number",
    ),
]

IGNORED = [
    (
        "label as a bare string",
        webhook_event(_payload(lambda p: p.update(label="bzzz-task"))),
        "not the summon label",
    ),
    (
        "unknown event",
        webhook_event({"action": "created", "starred_at": None}, event="star"),
        "does not act on star.created",
    ),
    (
        "another label",
        webhook_event(_payload(lambda p: p["label"].update(name="bug"))),
        "not the summon label",
    ),
    ("label on a pull request", webhook_event(_payload(_pull_request)), "pull request"),
    ("issue edited", webhook_event(_payload(lambda p: p.update(action="edited"))), "issues.edited"),
    (
        "issue assigned",
        webhook_event(_payload(lambda p: p.update(action="assigned"))),
        "issues.assigned needs nothing",
    ),
    (
        "Bzzz's own comment",
        webhook_event(
            _payload(
                lambda p: (
                    p.update(action="created"),
                    p.update(comment={"id": 7, "body": "<!-- bzzz:status -->\nworking"}),
                )
            ),
            event="issue_comment",
        ),
        "own comment",
    ),
]
# Told from the payload alone: answered without a delivery claim (one write and one
# update fewer for each of the many deliveries Bzzz's own label changes and comments cause).
SCREENED = {"label as a bare string", "unknown event", "another label", "label on a pull request",
            "issue assigned", "Bzzz's own comment"}  # fmt: skip


@pytest.mark.parametrize(
    ("event", "status", "field"),
    [pytest.param(e, s, f, id=name) for name, e, s, f in BAD_INPUTS],
)
def test_bad_input_is_refused_with_the_field_named(
    http_function: HttpFunction, event, status, field
):
    reply = http_function(event)

    assert reply["statusCode"] == status, reply
    body = reply_json(reply)
    assert body["field"] == field
    assert set(body) == {"error", "message", "field"}
    assert Lifecycle(http_function.settings).get("acme/calc#1") is None


@pytest.mark.parametrize(
    ("name", "event", "reason"), [pytest.param(n, e, r, id=n) for n, e, r in IGNORED]
)
def test_unwelcome_delivery_answers_202_with_the_reason(
    http_function: HttpFunction, name, event, reason
):
    reply = http_function(event)

    assert reply["statusCode"] == 202, reply
    assert reason in reply_json(reply)["reason"]
    assert Lifecycle(http_function.settings).get("acme/calc#1") is None
    claimed = WebhookDelivery.count(event["headers"]["x-github-delivery"])
    assert claimed == (0 if name in SCREENED else 1), name


def _comment(login: str, body: str, delivery: str) -> dict[str, Any]:
    payload = labeled_payload()
    payload["action"] = "created"
    payload.pop("label")
    payload["sender"]["login"] = login
    payload["comment"] = {
        "id": 991,
        "body": body,
        "user": dict(payload["sender"]),
        "html_url": "https://github.com/acme/calc/issues/1#issuecomment-991",
    }
    return webhook_event(payload, event="issue_comment", delivery=delivery)


def test_a_command_from_a_non_writer_changes_nothing(http_function: HttpFunction):
    http_function(webhook_event(labeled_payload(), delivery="d-label"))

    reply = http_function(_comment("mallory", "/bzzz stop", "d-stop"))

    assert reply["statusCode"] == 202
    assert "comment not passed on" in reply_json(reply)["reason"]
    task = Lifecycle(http_function.settings).get("acme/calc#1")
    assert task is not None and task.state == "queued"


def test_rate_limit_spent_during_the_permission_check_defers(http_function: HttpFunction):
    http_function.github.set_rate_limit(5000, remaining=0)

    reply = http_function(webhook_event(labeled_payload(), delivery="d-limited"))

    assert reply["statusCode"] == 202
    assert "deferred" in reply_json(reply)["reason"]
    assert Lifecycle(http_function.settings).get("acme/calc#1") is None
    # Nothing was recorded, so GitHub's redelivery (same id) is handled in full.
    assert WebhookDelivery.count("d-limited") == 0
    http_function.github.set_rate_limit(5000)
    again = http_function(webhook_event(labeled_payload(), delivery="d-limited"))
    assert (again["statusCode"], reply_json(again)["reason"]) == (200, "task created")


def test_github_5xx_during_the_permission_check_is_retried_then_defers(
    http_function: HttpFunction, monkeypatch: pytest.MonkeyPatch
):
    from bzzz.github.client import DEFAULT_RETRIES

    attempts = DEFAULT_RETRIES.attempts  # every one fails: the delivery is deferred
    proxy = FlakyProxy(http_function.github.base_url, "GET", "/permission", failures=attempts)
    served = serve(proxy)
    try:
        monkeypatch.setenv("GITHUB_API_URL", proxy.url)
        from bzzz.config import get_settings

        get_settings.cache_clear()
        reply = http_function(webhook_event(labeled_payload(), delivery="d-5xx"))
    finally:
        served.stop()

    assert reply["statusCode"] == 202
    assert "GitHub answered 502" in reply_json(reply)["reason"]
    assert proxy.failed == attempts
    assert Lifecycle(http_function.settings).get("acme/calc#1") is None


def test_a_single_github_5xx_during_the_permission_check_is_retried(
    http_function: HttpFunction, monkeypatch: pytest.MonkeyPatch
):
    proxy = FlakyProxy(http_function.github.base_url, "GET", "/permission", failures=1)
    served = serve(proxy)
    try:
        monkeypatch.setenv("GITHUB_API_URL", proxy.url)
        from bzzz.config import get_settings

        get_settings.cache_clear()
        reply = http_function(webhook_event(labeled_payload(), delivery="d-5xx-once"))
    finally:
        served.stop()

    assert (reply["statusCode"], reply_json(reply)["reason"]) == (200, "task created")
    assert proxy.failed == 1


def test_our_own_table_failing_answers_503_and_keeps_the_delivery_redeliverable(
    http_function: HttpFunction,
):
    db = aws.client("dynamodb", http_function.settings)
    db.delete_table(TableName=http_function.settings.deliveries_table)

    reply = http_function(webhook_event(labeled_payload(), delivery="d-down"))

    assert reply["statusCode"] == 503
    assert reply_json(reply)["error"] == "unavailable"
    assert "retry-after" in {k.lower() for k in reply["headers"]}
