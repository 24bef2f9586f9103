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
    before = github.http().get("/rate_limit").json()["resources"]["core"]["remaining"]
    unchanged, same = api.labelled_issues(REPO, "bug", etag)
    assert unchanged is None and same == etag
    after = github.http().get("/rate_limit").json()["resources"]["core"]["remaining"]
    assert after == before
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
