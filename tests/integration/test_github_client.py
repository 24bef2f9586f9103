"""bzzz.github.GitHubApi against the GitHub stand-in, over HTTP."""

from __future__ import annotations

import pytest

from bzzz.errors import GitHubError, GitHubNotFoundError, GitHubRateLimitError
from bzzz.github import GitHubApi, is_ours, is_writer, strip_hidden_html

REPO = "acme/calc"


@pytest.fixture
def api(github):
    return GitHubApi(github.base_url, token=github.tokens["alice"])


def test_roles_follow_collaborator_permissions(api):
    assert api.role(REPO, "alice") == "admin"
    assert api.role(REPO, "bob") == "write"
    assert api.role(REPO, "mallory") == "read"
    assert is_writer(api.role(REPO, "bob"))
    assert not is_writer(api.role(REPO, "mallory"))
    assert is_writer("read", "Mallory", frozenset({"mallory"}))


def test_labelled_issues_use_etags_and_spend_no_rate_limit_when_unchanged(api, github):
    issues, etag = api.labelled_issues(REPO, "bug")
    assert [i.title for i in issues] == ["sum_to(n) leaves out n"]
    assert etag
    alice = github.http(github.tokens["alice"])  # the budget is counted per credential
    before = alice.get("/rate_limit").json()["resources"]["core"]["remaining"]
    unchanged, same = api.labelled_issues(REPO, "bug", etag)
    assert unchanged is None and same == etag
    after = alice.get("/rate_limit").json()["resources"]["core"]["remaining"]
    assert after == before
    api.labelled_issues(REPO, "bug")  # without the ETag, the same read is counted
    assert alice.get("/rate_limit").json()["resources"]["core"]["remaining"] == before - 1
    api.add_labels(REPO, 1, ["bzzz-task"])
    changed, new_etag = api.labelled_issues(REPO, "bzzz-task", etag)
    assert [i.number for i in changed] == [1] and new_etag != etag


def test_comment_edit_react_and_labels(api):
    comment = api.comment(REPO, 1, "status: queued")
    edited = api.edit_comment(REPO, comment.id, "status: claimed")
    assert edited.id == comment.id
    # Every comment Bzzz posts carries its hidden mark, so the webhook can tell it apart.
    assert is_ours(comment.body) and is_ours(edited.body)
    assert strip_hidden_html(edited.body) == "status: claimed"
    assert [c.body for c in api.comments(REPO, 1)][-1] == edited.body
    api.react(REPO, 1, "eyes")
    api.add_labels(REPO, 1, ["bzzz:claimed"])
    assert "bzzz:claimed" in api.issue(REPO, 1).labels
    assert api.remove_label(REPO, 1, "bzzz:claimed") is True
    assert api.remove_label(REPO, 1, "bzzz:claimed") is False


def test_collaborators_and_missing_files(api):
    roles = dict(api.collaborators(REPO))
    assert roles["alice"] == "admin"
    assert roles["bob"] == "write"
    assert roles["mallory"] == "read"
    assert api.file_text(REPO, ".github/CODEOWNERS") is None


def test_unknown_issue_is_a_typed_not_found(api):
    with pytest.raises(GitHubNotFoundError) as caught:
        api.issue(REPO, 999)
    assert caught.value.status == 404
    assert "acme/calc#999" in str(caught.value)


def test_bad_credentials_are_a_typed_error(github):
    with pytest.raises(GitHubError) as caught:
        GitHubApi(github.base_url, token="ghp_not_a_token").issue(REPO, 1)
    assert caught.value.status == 401


def test_spent_rate_limit_is_a_typed_error_with_retry_after(api, github):
    github.set_rate_limit(limit=5, remaining=0)
    with pytest.raises(GitHubRateLimitError) as caught:
        api.issue(REPO, 1)
    assert caught.value.retry_after > 0


# ----- retries: a 5xx, a secondary rate limit, a lost answer ----------------------------


@pytest.fixture
def flaky(github):
    """A FlakyProxy in front of the stand-in, served over HTTP; `flaky(...)` configures it."""
    from tests.events.receivers import FlakyProxy, serve

    served = []

    def make(**options):
        proxy = FlakyProxy(github.base_url, **options)
        served.append(serve(proxy))
        waits: list[float] = []
        api = GitHubApi(proxy.url, token=github.tokens["alice"], sleep=waits.append)
        return proxy, api, waits

    yield make
    for one in served:
        one.stop()


def test_a_5xx_on_a_read_is_tried_again_with_backoff(flaky):
    proxy, api, waits = flaky(method="GET", path_contains="/permission", failures=2)
    assert api.role(REPO, "bob") == "write"
    assert (proxy.failed, waits) == (2, [0.5, 1.0])


def test_a_5xx_that_does_not_pass_is_raised_after_the_last_attempt(flaky):
    proxy, api, waits = flaky(method="GET", path_contains="/permission", failures=5)
    with pytest.raises(GitHubError) as raised:
        api.role(REPO, "bob")
    assert raised.value.status == 502 and proxy.failed == 3 and len(waits) == 2


def test_a_comment_is_not_posted_again_after_a_5xx_that_may_have_posted_it(flaky, github):
    proxy, api, waits = flaky(method="POST", path_contains="/comments", lose_answer=True)
    before = len(GitHubApi(github.base_url, token=github.tokens["alice"]).comments(REPO, 1))
    with pytest.raises(GitHubError):
        api.comment(REPO, 1, "status: queued")
    assert (proxy.failed, waits) == (1, [])
    after = GitHubApi(github.base_url, token=github.tokens["alice"]).comments(REPO, 1)
    assert len(after) == before + 1  # GitHub did post it: exactly once


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_rate_limit_with_a_short_retry_after_is_waited_for(flaky, github, status):
    proxy, api, waits = flaky(
        method="POST", path_contains="/comments", status=status, headers={"retry-after": "2"}
    )
    api.comment(REPO, 1, "status: queued")  # refused first, so safe to send again
    assert (proxy.failed, waits) == (1, [2.0])
    bodies = [c.body for c in GitHubApi(github.base_url, token=github.tokens["alice"])
              .comments(REPO, 1)]  # fmt: skip
    assert sum("status: queued" in b for b in bodies) == 1


def test_a_long_retry_after_is_the_callers_to_handle(flaky):
    proxy, api, waits = flaky(
        method="GET", path_contains="/permission", status=429, headers={"retry-after": "60"}
    )
    with pytest.raises(GitHubRateLimitError) as raised:
        api.role(REPO, "bob")
    assert raised.value.retry_after == 60 and waits == [] and proxy.failed == 1


def _push_branch(github, branch: str, where) -> None:
    from tests.fixtures.git_repos import git

    url = github.git_url(REPO, github.tokens["alice"])
    git(where, "clone", "-q", url, "work")
    work = where / "work"
    git(work, "checkout", "-q", "-b", branch)
    (work / "NOTES.md").write_text("a change\n")
    git(work, "add", "NOTES.md")
    git(work, "commit", "-q", "-m", "a change")
    git(work, "push", "-q", "origin", branch)


def test_a_pull_request_whose_answer_was_lost_is_found_not_opened_twice(flaky, github, tmp_path):
    proxy, api, waits = flaky(method="POST", path_contains="/pulls", lose_answer=True)
    _push_branch(github, "bzzz/1-fix", tmp_path)

    pull = api.open_draft_pull(REPO, "bzzz/1-fix", "main", "Fix", "Refs #1")

    assert proxy.failed == 1 and waits == [0.5]  # tried again, answered 422, found it
    listed = github.client("alice").rest.pulls.list("acme", "calc", state="open").json()
    assert [(p["number"], p["head"]["ref"]) for p in listed] == [(pull.number, "bzzz/1-fix")]


def test_a_pull_requests_updated_at_is_kept_only_once_an_answer_is_dated_a_later_second(
    api, github, tmp_path
):
    """GitHub's times have whole seconds: a review later in the second a read was answered
    in leaves `updated_at` as read, so only an answer from a later second settles it."""
    _push_branch(github, "bzzz/1-fix", tmp_path)
    pull = api.open_draft_pull(REPO, "bzzz/1-fix", "main", "Fix", "Refs #1")
    updated = github.http().get(f"/repos/{REPO}/pulls/{pull.number}").json()["updated_at"]
    alice = github.http(github.tokens["alice"])
    before = alice.get("/rate_limit").json()["resources"]["core"]["remaining"]
    kept = api.pull_settled(REPO, pull.number)
    after = alice.get("/rate_limit").json()["resources"]["core"]["remaining"]
    assert kept == updated
    assert before - after == 1  # one read; the 304s asked until GitHub's clock moved are free
    first = api.pull_seen(REPO, pull.number, None)
    again = api.pull_seen(REPO, pull.number, first.etag, first.updated_at)
    assert not again.changed and again.settled and again.updated_at == kept


def test_recent_pulls_come_most_recently_updated_first(api, github, tmp_path):
    for branch, where in (("bzzz/1-fix", tmp_path / "one"), ("bzzz/2-fix", tmp_path / "two")):
        where.mkdir()
        _push_branch(github, branch, where)
    older = api.open_draft_pull(REPO, "bzzz/1-fix", "main", "Fix 1", "Refs #1")
    newer = api.open_draft_pull(REPO, "bzzz/2-fix", "main", "Fix 2", "Refs #1")
    listed, more = api.recent_pulls(REPO)
    assert [p.number for p in listed] == [newer.number, older.number] and not more
    assert api.pull_settled(REPO, newer.number)  # GitHub's clock is a second further on
    api.comment(REPO, older.number, "a review comment, as it were")  # moves its updated_at
    listed, _ = api.recent_pulls(REPO)
    assert [p.number for p in listed] == [older.number, newer.number]
    assert all(p.updated_at for p in listed)
