"""Reviews, line comments, merges and pushes by others on the GitHub stand-in's pull requests.

Every reply and webhook here is checked against @octokit/openapi and
@octokit/webhooks-schemas when the `github` fixture tears down.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from githubkit.exception import RequestFailed

ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"}


def git(work: Path, *args: str) -> str:
    ident = ["-c", "user.name=Bob", "-c", "user.email=bob@example.com"]
    done = subprocess.run(
        ["git", *ident, "-C", str(work), *args],
        check=True,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip()


@pytest.fixture
def pull(github, tmp_path):
    """Bob's pull request changing calc.py's loop; returns (number, bob's clone)."""
    work = tmp_path / "calc"
    subprocess.run(
        ["git", "clone", "-q", github.git_url("acme/calc", github.tokens["bob"]), str(work)],
        check=True,
        env=ENV,
        capture_output=True,
        timeout=60,
    )
    source = (work / "calc.py").read_text().replace("range(1, n)", "range(1, n + 1)")
    (work / "calc.py").write_text(source)
    git(work, "commit", "-qam", "Fix the loop")
    git(work, "push", "-q", "origin", "HEAD:refs/heads/fix")
    pr = (
        github.client("bob")
        .rest.pulls.create("acme", "calc", title="Fix", head="fix", base="main")
        .parsed_data
    )
    return pr.number, work


def events_of(hooks):
    return [(h.event, h.json()["action"]) for h in hooks]


def test_a_review_with_line_comments_is_one_delivery_per_comment_then_the_review(
    github, pull, webhook_receiver
):
    number, _ = pull
    github.set_webhook(webhook_receiver.url, "s")
    alice = github.client("alice")
    review = alice.rest.pulls.create_review(
        "acme",
        "calc",
        number,
        event="REQUEST_CHANGES",
        body="Two things",
        comments=[
            {"path": "calc.py", "line": 7, "body": "Say why + 1"},
            {"path": "calc.py", "line": 7, "side": "LEFT", "body": "Was off by one"},
        ],
    ).parsed_data
    hooks = webhook_receiver.wait_for(3)
    assert events_of(hooks) == [
        ("pull_request_review_comment", "created"),
        ("pull_request_review_comment", "created"),
        ("pull_request_review", "submitted"),
    ]
    first = hooks[0].json()["comment"]
    assert (first["path"], first["line"], first["side"]) == ("calc.py", 7, "RIGHT")
    assert first["pull_request_review_id"] == review.id
    assert first["diff_hunk"].startswith("@@ ")
    assert first["diff_hunk"].endswith("+    for i in range(1, n + 1):")
    assert hooks[1].json()["comment"]["diff_hunk"].endswith("-    for i in range(1, n):")
    listed = alice.rest.pulls.list_review_comments("acme", "calc", number).parsed_data
    assert [c.body for c in listed] == ["Say why + 1", "Was off by one"]
    of_review = alice.rest.pulls.list_comments_for_review("acme", "calc", number, review.id)
    assert len(of_review.parsed_data) == 2
    reviews = alice.rest.pulls.list_reviews("acme", "calc", number).parsed_data
    assert [(r.state, r.user.login) for r in reviews] == [("CHANGES_REQUESTED", "alice")]
    pr = alice.rest.pulls.get("acme", "calc", number).parsed_data
    assert pr.review_comments == 2


def test_a_line_off_the_diff_or_a_bad_event_refuses_the_whole_review(github, pull):
    number, _ = pull
    alice = github.client("alice")
    with pytest.raises(RequestFailed) as off:
        alice.rest.pulls.create_review(
            "acme",
            "calc",
            number,
            event="COMMENT",
            body="x",
            comments=[{"path": "calc.py", "line": 1, "body": "not in the diff"}],
        )
    assert off.value.response.status_code == 422
    assert "Line could not be resolved" in off.value.response.text
    with github.http(github.tokens["alice"]) as http:
        reply = http.post(f"/repos/acme/calc/pulls/{number}/reviews", json={"event": "MERGE"})
        assert reply.status_code == 422
        reply = http.post(
            f"/repos/acme/calc/pulls/{number}/reviews", json={"event": "REQUEST_CHANGES"}
        )
        assert reply.status_code == 422
    assert alice.rest.pulls.list_reviews("acme", "calc", number).parsed_data == []
    assert alice.rest.pulls.list_review_comments("acme", "calc", number).parsed_data == []


def test_a_lone_line_comment_and_a_reply_in_its_thread(github, pull, webhook_receiver):
    number, _ = pull
    github.set_webhook(webhook_receiver.url, "s")
    alice, bob = github.client("alice"), github.client("bob")
    head = alice.rest.pulls.get("acme", "calc", number).parsed_data.head.sha
    made = alice.rest.pulls.create_review_comment(
        "acme", "calc", number, body="Name this", commit_id=head, path="calc.py", line=7
    ).parsed_data
    answer = bob.rest.pulls.create_reply_for_review_comment(
        "acme", "calc", number, made.id, body="Done"
    ).parsed_data
    assert answer.in_reply_to_id == made.id
    assert (answer.path, answer.line, answer.diff_hunk) == (made.path, made.line, made.diff_hunk)
    hooks = webhook_receiver.wait_for(3)
    assert events_of(hooks) == [
        ("pull_request_review_comment", "created"),
        ("pull_request_review", "submitted"),
        ("pull_request_review_comment", "created"),
    ]
    assert hooks[1].json()["review"]["state"] == "commented"


def test_a_comment_on_the_conversation_says_it_is_on_a_pull_request(github, pull, webhook_receiver):
    number, _ = pull
    github.set_webhook(webhook_receiver.url, "s")
    github.client("alice").rest.issues.create_comment("acme", "calc", number, body="/bzzz retry")
    (hook,) = webhook_receiver.wait_for(1)
    assert hook.event == "issue_comment"
    assert hook.json()["issue"]["pull_request"]["url"].endswith(f"/pulls/{number}")


def test_a_push_by_someone_else_announces_synchronize(github, pull, webhook_receiver):
    _, work = pull
    github.set_webhook(webhook_receiver.url, "s")
    before = git(work, "rev-parse", "HEAD")
    (work / "NOTES.md").write_text("a human's commit\n")
    git(work, "add", "NOTES.md")
    git(work, "commit", "-qm", "Notes")
    git(work, "push", "-q", "origin", "HEAD:refs/heads/fix")
    (hook,) = webhook_receiver.wait_for(1)
    payload = hook.json()
    assert (hook.event, payload["action"]) == ("pull_request", "synchronize")
    assert (payload["before"], payload["after"]) == (before, git(work, "rev-parse", "HEAD"))
    assert payload["sender"]["login"] == "bob"


def test_merging_closes_the_pull_request_as_merged(github, pull, webhook_receiver, tmp_path):
    number, work = pull
    github.set_webhook(webhook_receiver.url, "s")
    alice = github.client("alice")
    with pytest.raises(RequestFailed) as stale:
        alice.rest.pulls.merge("acme", "calc", number, sha="0" * 40)
    assert stale.value.response.status_code == 409
    done = alice.rest.pulls.merge("acme", "calc", number).parsed_data
    assert done.merged is True
    (hook,) = webhook_receiver.wait_for(1)
    payload = hook.json()
    assert (hook.event, payload["action"]) == ("pull_request", "closed")
    assert payload["pull_request"]["merged"] is True
    assert payload["pull_request"]["merged_by"]["login"] == "alice"
    assert payload["pull_request"]["merge_commit_sha"] == done.sha
    with github.http(github.tokens["alice"]) as http:
        assert http.get(f"/repos/acme/calc/pulls/{number}/merge").status_code == 204
        assert http.put(f"/repos/acme/calc/pulls/{number}/merge", json={}).status_code == 405
    git(work, "fetch", "-q", "origin")
    assert git(work, "rev-parse", "origin/main") == done.sha
    assert git(work, "rev-parse", "origin/main^2") == git(work, "rev-parse", "HEAD")
    issue = alice.rest.issues.get("acme", "calc", number).parsed_data
    assert issue.state == "closed" and issue.pull_request.merged_at is not None


def test_a_reader_cannot_merge_and_the_test_controls_act_like_people(github, pull):
    number, _ = pull
    with pytest.raises(RequestFailed) as refused:
        github.client("mallory").rest.pulls.merge("acme", "calc", number)
    assert refused.value.response.status_code == 403
    github.act("alice", "acme/calc", number, "line_comment", path="calc.py", line=7, body="Hm")
    github.act(
        "alice",
        "acme/calc",
        number,
        "review",
        event="REQUEST_CHANGES",
        body="Docstring",
        comments=[{"path": "calc.py", "line": 7, "body": "here"}],
    )
    alice = github.client("alice")
    assert len(alice.rest.pulls.list_review_comments("acme", "calc", number).parsed_data) == 2
    github.act("alice", "acme/calc", number, "merge")
    assert alice.rest.pulls.get("acme", "calc", number).parsed_data.merged is True
