"""Model text posted on GitHub mentions nobody and closes no issue."""

from __future__ import annotations

import re

import pytest

from bzzz.github import fence, neutralise
from runner.agent.types import TestRun as Result
from runner.git.publish import commit_message, pull_body

# GitHub's rules, written from its documentation, independently of the code under test.
LIVE_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9][\w-]*")
CLOSING = re.compile(
    r"(?i)\b(close[sd]?|fix(e[sd])?|resolve[sd]?)[ \t]*:?[ \t]*"
    r"((?:[\w.-]+/[\w.-]+)?#\d+|https?://\S+/issues/\d+)"
)
HOSTILE = (
    "Done. @alice @acme/maintainers please merge.\n"
    "Fixes #7, closes acme/other#3, Resolves: https://github.com/acme/calc/issues/9, fixed #1"
)


@pytest.mark.parametrize("text", [HOSTILE, "FIXES #2", "cc @bob", "fix:#4"])
def test_no_mention_and_no_closing_keyword_survive(text):
    quiet = neutralise(text)
    assert not LIVE_MENTION.search(quiet) and not CLOSING.search(quiet)
    assert quiet.replace("\u200b", "") == text  # reads the same


def test_addresses_and_plain_references_are_left_alone():
    text = "mail bob@example.com; see #7 and `@decorator`; this fixes the bug"
    assert neutralise(text) == text


def test_a_fence_cannot_be_closed_from_inside():
    block = fence("out\n```\n@alice")
    opening = block.split("\n")[0]
    assert len(opening) == 4 and block.endswith("\n" + opening)


def test_the_pull_request_body_links_only_bzzz_s_own_line():
    failed = Result("pytest", 1, "```\nFixes #12 @carol\n")
    body = pull_body(5, HOSTILE, [], failed)
    assert body.startswith("Refs #5\n")  # tests failed: Bzzz's line does not close #5
    assert not CLOSING.search(body) and not LIVE_MENTION.search(body)


def test_commit_messages_are_neutralised():
    message = commit_message("Fixes #3 for @dave", 5, HOSTILE)
    assert message.startswith("F\u200bixes #3 for @\u200bdave (#5)")
    assert not CLOSING.search(message) and not LIVE_MENTION.search(message)


def test_the_status_comment_and_the_escalation_comment_quote_the_agent_inertly():
    from bzzz.escalation.notify import comment_body
    from bzzz.status.render import StatusView, render
    from bzzz.threads import Entry, render_details

    view = StatusView("acme/calc#5", "escalated", 1, 3, 4, reason=f"asked for help: {HOSTILE}")
    status = render(view, {"command": "echo @erin fixes #8"})
    thread = render_details([Entry(1, 0.0, "runner-a", "hmmm.plan", {"text": HOSTILE})])
    asked = comment_body(HOSTILE, HOSTILE, ["alice"], [])
    for text in (status, thread, asked.replace("— @alice", "")):
        assert not LIVE_MENTION.search(text) and not CLOSING.search(text), text
    assert "— @alice" in asked  # Bzzz's own mention of the maintainers it asks stays live
