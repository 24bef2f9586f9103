"""The GitHub stand-in's REST API, driven by githubkit over loopback HTTP."""

from __future__ import annotations

import pytest
from githubkit.exception import RequestFailed

OWNER, REPO = "acme", "calc"


def test_seeded_repo_issue_and_comment_are_served(github):
    gh = github.client("alice")
    repo = gh.rest.repos.get(OWNER, REPO).parsed_data
    assert repo.full_name == "acme/calc"
    assert repo.default_branch == "main"
    assert repo.owner.type == "Organization"
    issue = gh.rest.issues.get(OWNER, REPO, 1).parsed_data
    assert issue.title == "sum_to(n) leaves out n"
    assert [label.name for label in issue.labels] == ["bug"]
    comments = gh.rest.issues.list_comments(OWNER, REPO, 1).parsed_data
    assert [c.user.login for c in comments] == ["bob"]


def test_create_issue_then_label_assign_and_close(github):
    gh = github.client("alice")
    created = gh.rest.issues.create(
        OWNER, REPO, title="Add a product function", body="x"
    ).parsed_data
    assert created.number == 2
    assert created.state == "open"
    labels = gh.rest.issues.add_labels(OWNER, REPO, 2, labels=["bzzz-task"]).parsed_data
    assert [label.name for label in labels] == ["bzzz-task"]
    assigned = gh.rest.issues.add_assignees(OWNER, REPO, 2, assignees=["bob"]).parsed_data
    assert [a.login for a in assigned.assignees] == ["bob"]
    unassigned = gh.rest.issues.remove_assignees(OWNER, REPO, 2, assignees=["bob"]).parsed_data
    assert unassigned.assignees == []
    gh.rest.issues.remove_label(OWNER, REPO, 2, "bzzz-task")
    closed = gh.rest.issues.update(OWNER, REPO, 2, state="closed").parsed_data
    assert closed.state == "closed"
    assert closed.closed_at is not None
    still_open = gh.rest.issues.list_for_repo(OWNER, REPO, state="open").parsed_data
    assert [i.number for i in still_open] == [1]


def test_comment_can_be_edited_by_its_author_only(github):
    bob = github.client("bob")
    comment = bob.rest.issues.create_comment(OWNER, REPO, 1, body="first take").parsed_data
    edited = bob.rest.issues.update_comment(OWNER, REPO, comment.id, body="second take")
    assert edited.parsed_data.body == "second take"
    alice, mallory = github.client("alice"), github.client("mallory")
    assert alice.rest.issues.get_comment(OWNER, REPO, comment.id).parsed_data.body == "second take"
    with pytest.raises(RequestFailed) as refused:
        mallory.rest.issues.update_comment(OWNER, REPO, comment.id, body="mine now")
    assert refused.value.response.status_code == 403


def test_reactions_on_issue_and_comment_roll_up(github):
    bob = github.client("bob")
    comment = bob.rest.issues.create_comment(OWNER, REPO, 1, body="on it").parsed_data
    first = bob.rest.reactions.create_for_issue_comment(OWNER, REPO, comment.id, content="eyes")
    again = bob.rest.reactions.create_for_issue_comment(OWNER, REPO, comment.id, content="eyes")
    assert first.status_code == 201
    assert again.status_code == 200  # the same reaction twice is answered with the first
    assert again.parsed_data.id == first.parsed_data.id
    alice = github.client("alice")
    alice.rest.reactions.create_for_issue(OWNER, REPO, 1, content="+1")
    issue = bob.rest.issues.get(OWNER, REPO, 1).parsed_data
    assert issue.reactions.plus_one == 1
    assert issue.reactions.total_count == 1
    listed = bob.rest.reactions.list_for_issue_comment(OWNER, REPO, comment.id).parsed_data
    assert [(r.user.login, r.content) for r in listed] == [("bob", "eyes")]


def test_collaborator_permission_levels(github):
    gh = github.client("alice")
    levels = {
        login: gh.rest.repos.get_collaborator_permission_level(OWNER, REPO, login).parsed_data
        for login in ("alice", "bob", "mallory")
    }
    assert {k: (v.permission, v.role_name) for k, v in levels.items()} == {
        "alice": ("admin", "admin"),
        "bob": ("write", "write"),
        "mallory": ("read", "read"),
    }


def test_githubkit_follows_link_pagination(github):
    gh = github.client("alice")
    for n in range(7):
        gh.rest.issues.create(OWNER, REPO, title=f"issue {n}")
    first_page = gh.rest.issues.list_for_repo(OWNER, REPO, per_page=3)
    assert 'rel="next"' in first_page.headers["link"]
    assert 'rel="last"' in first_page.headers["link"]
    numbers = [
        i.number
        for i in gh.rest.paginate(gh.rest.issues.list_for_repo, owner=OWNER, repo=REPO, per_page=3)
    ]
    assert numbers == list(range(8, 0, -1))
    # The pages after the first were fetched from the URLs the Link header gave.
    followed = [e.path.split("?", 1)[1] for e in github.exchanges if "page=" in e.path]
    assert "per_page=3&page=2" in followed
    assert "per_page=3&page=3" in followed
    with github.http(github.tokens["alice"]) as http:
        middle = http.get("/repos/acme/calc/issues", params={"per_page": 3, "page": 2})
    rels = [part.split('rel="')[1].rstrip('"') for part in middle.headers["link"].split(", ")]
    assert rels == ["prev", "next", "last", "first"]
    assert [i["number"] for i in middle.json()] == [5, 4, 3]


def test_unknown_repo_is_404_with_github_error_shape(github):
    with github.http(github.tokens["alice"]) as http:
        reply = http.get("/repos/acme/nope")
    assert reply.status_code == 404
    assert reply.json()["message"] == "Not Found"
    assert reply.json()["documentation_url"].startswith("https://docs.github.com")


def test_missing_title_is_422_validation_failed(github):
    with github.http(github.tokens["alice"]) as http:
        reply = http.post("/repos/acme/calc/issues", json={"body": "no title"})
    assert reply.status_code == 422
    body = reply.json()
    assert body["message"] == "Validation Failed"
    assert body["errors"] == [{"resource": "Issue", "field": "title", "code": "missing_field"}]
    assert "documentation_url" in body


def test_body_that_is_not_json_is_400(github):
    with github.http(github.tokens["alice"]) as http:
        reply = http.post("/repos/acme/calc/issues", content=b"{not json")
    assert reply.status_code == 400
    assert reply.json()["message"] == "Problems parsing JSON"


def test_bad_token_is_401_bad_credentials(github):
    with github.http("ghp_not_a_real_token") as http:
        reply = http.get("/repos/acme/calc")
    assert reply.status_code == 401
    assert reply.json()["message"] == "Bad credentials"


def test_write_without_auth_is_401_requires_authentication(github):
    with github.http() as http:
        reply = http.post("/repos/acme/calc/issues/1/comments", json={"body": "hi"})
    assert reply.status_code == 401
    assert reply.json()["message"] == "Requires authentication"


def test_reader_cannot_label(github):
    mallory = github.client("mallory")
    with pytest.raises(RequestFailed) as refused:
        mallory.rest.issues.add_labels(OWNER, REPO, 1, labels=["bzzz-task"])
    assert refused.value.response.status_code == 403
