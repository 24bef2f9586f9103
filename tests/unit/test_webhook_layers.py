"""The three webhook layers on their own: verify, parse, route (no servers needed)."""

from __future__ import annotations

import pytest

from bzzz.errors import InputError
from bzzz.intake.comments import command_of
from bzzz.webhooks import Context, Outcome, Router, WebhookEvent, parse, sign, verify

BODY = b'{"action": "labeled", "zen": "Design for failure."}'


@pytest.mark.parametrize(
    ("secret", "signature", "expected"),
    [
        pytest.param("s3cret", sign("s3cret", BODY), True, id="right"),
        pytest.param("s3cret", sign("other", BODY), False, id="other secret"),
        pytest.param("s3cret", sign("s3cret", BODY + b" "), False, id="other body"),
        pytest.param("s3cret", sign("s3cret", BODY).upper(), False, id="case changed"),
        pytest.param("s3cret", sign("s3cret", BODY)[7:], False, id="no sha256= prefix"),
        pytest.param("s3cret", "sha1=" + sign("s3cret", BODY)[7:], False, id="sha1"),
        pytest.param("s3cret", None, False, id="missing"),
        pytest.param("s3cret", "", False, id="empty"),
        pytest.param("", sign("", BODY), False, id="no secret configured"),
    ],
)
def test_verify(secret, signature, expected):
    assert verify(secret, BODY, signature) is expected


def test_parse_reads_headers_in_any_case():
    event = parse({"X-GitHub-Event": "issues", "x-github-delivery": " abc "}, BODY)

    assert (event.id, event.name, event.action, event.key) == (
        "abc",
        "issues",
        "labeled",
        "issues.labeled",
    )


@pytest.mark.parametrize(
    ("headers", "body", "field"),
    [
        ({"x-github-delivery": "d"}, BODY, "header x-github-event"),
        ({"x-github-event": "issues"}, BODY, "header x-github-delivery"),
        ({"x-github-event": "", "x-github-delivery": "d"}, BODY, "header x-github-event"),
        ({"x-github-event": "issues", "x-github-delivery": "d"}, b"\xff", "body"),
        ({"x-github-event": "issues", "x-github-delivery": "d"}, b'"text"', "body"),
    ],
)
def test_parse_refuses_naming_the_field(headers, body, field):
    with pytest.raises(InputError) as caught:
        parse(headers, body)
    assert caught.value.field == field


def _context(name: str, action: str | None, payload: dict) -> Context:
    def no_github(installation_id):
        raise AssertionError("GitHub must not be called")

    return Context(WebhookEvent("d-1", name, action, payload), no_github)


def test_router_prefers_name_action_then_name_then_wildcard():
    router = Router()
    router.on("issues.labeled")(lambda ctx: Outcome.done("exact"))
    router.on("issues")(lambda ctx: Outcome.done("by name"))
    router.on("*")(lambda ctx: Outcome.ignored("anything"))

    assert router.dispatch(_context("issues", "labeled", {})).reason == "exact"
    assert router.dispatch(_context("issues", "closed", {})).reason == "by name"
    assert router.dispatch(_context("push", None, {})).reason == "anything"
    with pytest.raises(ValueError, match="already registered"):
        router.on("issues")(lambda ctx: Outcome.done("twice"))


def test_router_without_a_handler_ignores_with_the_reason():
    outcome = Router().dispatch(_context("star", "created", {}))

    assert (outcome.status, outcome.reason) == (202, "no handler for star.created")


def test_context_helpers_fail_clearly_where_they_do_not_apply():
    ctx = _context("installation", "created", {"sender": {"login": "alice", "type": "User"}})

    assert ctx.sender() == "alice"
    assert not ctx.sender_is_bot()
    with pytest.raises(InputError, match=r"does not apply to installation\.created") as caught:
        ctx.repo()
    assert caught.value.field == "payload.repository.full_name"
    with pytest.raises(InputError) as caught:
        ctx.issue_number()
    assert caught.value.field == "payload.issue.number"
    assert ctx.logger.extra == {"delivery_id": "d-1", "event": "installation.created"}


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/bzzz retry", "retry"),
        ("  /BZZZ Stop please\nmore", "stop"),
        ("/bzzz", ""),
        ("/bzzz dance", "dance"),
        ("please /bzzz stop", None),
        ("", None),
    ],
)
def test_commands_are_the_first_line_only(text, command):
    assert command_of(text) == command
