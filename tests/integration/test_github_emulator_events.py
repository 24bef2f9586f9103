"""The stand-in's issue events and `issues.edited`, held to GitHub's descriptions.

The `github` fixture checks every recorded reply against the OpenAPI
description and every webhook payload against the webhook schemas at teardown.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bzzz.github import GitHubApi
from tests.fixtures.github import contract_violations

pytestmark = pytest.mark.integration

REPO = "acme/calc"


def test_labeled_events_name_their_actor_and_the_client_finds_the_last_one(github):
    github.act("mallory", REPO, 1, "label", label="bzzz-task")
    github.act("alice", REPO, 1, "unlabel", label="bzzz-task")
    github.act("bob", REPO, 1, "label", label="BZZZ-task")
    with github.http(github.tokens["alice"]) as http:
        events = http.get(f"/repos/{REPO}/issues/1/events").json()
    assert [(e["event"], e["actor"]["login"], e["label"]["name"]) for e in events] == [
        ("labeled", "mallory", "bzzz-task"),
        ("unlabeled", "alice", "bzzz-task"),
        ("labeled", "bob", "bzzz-task"),
    ]
    api = GitHubApi(github.base_url, token=github.tokens["alice"])
    assert api.labeller(REPO, 1, "bzzz-task") == "bob"
    assert api.labeller(REPO, 1, "bug") is None


def test_a_tampered_event_is_a_contract_violation(github, github_contracts):
    github.act("mallory", REPO, 1, "label", label="bzzz-task")
    with github.http(github.tokens["alice"]) as http:
        assert http.get(f"/repos/{REPO}/issues/1/events").status_code == 200
    good = next(e for e in github.exchanges if e.path.endswith("/events"))
    assert contract_violations([good], [], *github_contracts) == []
    body = json.loads(good.body)
    del body[0]["actor"]
    problems = contract_violations(
        [replace(good, body=json.dumps(body).encode())], [], *github_contracts
    )
    assert problems


def test_an_edit_is_announced_with_what_it_changed(github, webhook_receiver):
    github.set_webhook(webhook_receiver.url, "s")
    github.act("mallory", REPO, 1, "edit", body="new text")
    hook = webhook_receiver.wait_for(1)[0]
    payload = hook.json()
    assert (hook.event, payload["action"], payload["sender"]["login"]) == (
        "issues", "edited", "mallory",
    )  # fmt: skip
    assert payload["issue"]["body"] == "new text"
    assert payload["changes"]["body"]["from"].startswith("`sum_to(3)` returns 3")
    assert "title" not in payload["changes"]
