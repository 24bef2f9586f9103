"""Webhook deliveries from the GitHub stand-in to a real HTTP receiver, signed as GitHub signs."""

from __future__ import annotations

import hashlib
import hmac
import subprocess

SECRET = "It's a Secret to Everybody"


def verify(secret: str, body: bytes, signature: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_labeling_delivers_a_signed_issues_labeled_event(github, webhook_receiver):
    github.set_webhook(webhook_receiver.url, SECRET)
    github.act("alice", "acme/calc", 1, "label", label="bzzz-task")
    (hook,) = webhook_receiver.wait_for(1)
    assert hook.event == "issues"
    assert hook.headers["content-type"] == "application/json"
    assert hook.headers["user-agent"].startswith("GitHub-Hookshot/")
    assert len(hook.headers["x-github-delivery"]) == 36
    assert verify(SECRET, hook.body, hook.headers["x-hub-signature-256"])
    assert not verify("wrong secret", hook.body, hook.headers["x-hub-signature-256"])
    payload = hook.json()
    assert payload["action"] == "labeled"
    assert payload["label"]["name"] == "bzzz-task"
    assert payload["issue"]["number"] == 1
    assert payload["repository"]["full_name"] == "acme/calc"
    assert payload["sender"]["login"] == "alice"
    assert payload["installation"]["id"] == 77


def test_rest_changes_fire_unlabeled_closed_and_comment_events(github, webhook_receiver):
    github.set_webhook(webhook_receiver.url, SECRET)
    gh = github.client("alice")
    gh.rest.issues.add_labels("acme", "calc", 1, labels=["bzzz-task"])
    gh.rest.issues.remove_label("acme", "calc", 1, "bzzz-task")
    gh.rest.issues.create_comment("acme", "calc", 1, body="Taking a look")
    gh.rest.issues.update("acme", "calc", 1, state="closed", state_reason="not_planned")
    hooks = webhook_receiver.wait_for(4)
    kinds = [(h.event, h.json()["action"]) for h in hooks]
    assert kinds == [
        ("issues", "labeled"),
        ("issues", "unlabeled"),
        ("issue_comment", "created"),
        ("issues", "closed"),
    ]
    assert hooks[2].json()["comment"]["body"] == "Taking a look"
    assert hooks[3].json()["issue"]["state_reason"] == "not_planned"
    assert all(verify(SECRET, h.body, h.headers["x-hub-signature-256"]) for h in hooks)


def test_redelivery_resends_the_same_delivery(github, webhook_receiver):
    github.set_webhook(webhook_receiver.url, SECRET)
    github.act("bob", "acme/calc", 1, "comment", body="Still failing on main")
    first = webhook_receiver.wait_for(1)[0]
    (record,) = github.deliveries()
    assert record["status_code"] == 200
    assert record["guid"] == first.headers["x-github-delivery"]
    again = github.redeliver(record["id"])
    assert again["redelivery"] is True
    second = webhook_receiver.wait_for(2)[1]
    assert second.headers["x-github-delivery"] == first.headers["x-github-delivery"]
    assert second.body == first.body
    assert verify(SECRET, second.body, second.headers["x-hub-signature-256"])


def test_failed_delivery_is_recorded_and_can_be_redelivered(github, webhook_receiver):
    github.set_webhook("http://127.0.0.1:9/unreachable", SECRET)
    github.act("alice", "acme/calc", 1, "close")
    (failed,) = github.deliveries()
    assert failed["status_code"] is None
    assert failed["error"]
    github.set_webhook(webhook_receiver.url, SECRET)
    github.redeliver(failed["id"])
    (hook,) = webhook_receiver.wait_for(1)
    assert (hook.event, hook.json()["action"]) == ("issues", "closed")


def test_review_submitted_event(github, webhook_receiver, tmp_path):
    token = github.tokens["bob"]
    work = tmp_path / "calc"
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"}
    ident = ["-c", "user.name=Bob", "-c", "user.email=bob@example.com"]
    for args in (
        ["clone", "-q", github.git_url("acme/calc", token), str(work)],
        [*ident, "-C", str(work), "commit", "-q", "--allow-empty", "-m", "wip"],
        ["-C", str(work), "push", "-q", "origin", "HEAD:refs/heads/wip"],
    ):
        subprocess.run(["git", *args], check=True, env=env, capture_output=True, timeout=60)
    github.set_webhook(webhook_receiver.url, SECRET)
    gh = github.client("bob")
    pr = gh.rest.pulls.create("acme", "calc", title="WIP", head="wip", base="main", draft=True)
    opened = webhook_receiver.wait_for(1)[0]
    assert (opened.event, opened.json()["action"], opened.json()["number"]) == (
        "pull_request",
        "opened",
        pr.parsed_data.number,
    )
    assert opened.json()["pull_request"]["draft"] is True
    alice = github.client("alice")
    review = alice.rest.pulls.create_review(
        "acme", "calc", pr.parsed_data.number, event="REQUEST_CHANGES", body="Needs a test"
    ).parsed_data
    assert review.state == "CHANGES_REQUESTED"
    hook = webhook_receiver.wait_for(2)[1]
    payload = hook.json()
    assert (hook.event, payload["action"]) == ("pull_request_review", "submitted")
    assert payload["review"]["state"] == "changes_requested"
    assert payload["pull_request"]["draft"] is True
    assert payload["sender"]["login"] == "alice"


def test_installation_created_event(github, webhook_receiver):
    github.set_webhook(webhook_receiver.url, SECRET)
    installation_id = github.install(app_id=4242, account="acme", repos=["acme/calc"])
    (hook,) = webhook_receiver.wait_for(1)
    payload = hook.json()
    assert (hook.event, payload["action"]) == ("installation", "created")
    assert payload["installation"]["id"] == installation_id
    assert [r["full_name"] for r in payload["repositories"]] == ["acme/calc"]
