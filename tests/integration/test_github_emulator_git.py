"""Git over smart HTTP, pull requests on pushed branches, and installation tokens."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from githubkit.exception import RequestFailed

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",  # no credentials on hand means failure, not a prompt
    "GIT_AUTHOR_NAME": "Bob",
    "GIT_AUTHOR_EMAIL": "bob@example.com",
    "GIT_COMMITTER_NAME": "Bob",
    "GIT_COMMITTER_EMAIL": "bob@example.com",
}

TWO_REPOS = {
    "users": [{"login": "alice", "token": "ghp_alice"}],
    "apps": [{"id": 9, "slug": "bzzz"}],
    "repos": [
        {"name": "acme/calc", "files": {"calc.py": "X = 1\n"}, "collaborators": {"alice": "admin"}},
        {
            "name": "acme/secret",
            "private": True,
            "files": {"s.txt": "hidden\n"},
            "collaborators": {"alice": "read"},
        },
        {"name": "acme/docs", "files": {"README.md": "docs\n"}},
    ],
    "installations": [
        {
            "id": 5,
            "app_id": 9,
            "account": "acme",
            "repos": ["acme/calc"],
            "permissions": {"metadata": "read", "contents": "write", "issues": "read"},
        }
    ],
}


def git(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=GIT_ENV,
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def clone_and_commit(url: str, where: Path, branch: str) -> Path:
    git("clone", "--quiet", url, str(where))
    git("checkout", "-q", "-b", branch, cwd=where)
    calc = where / "calc.py"
    calc.write_text(calc.read_text().replace("range(1, n)", "range(1, n + 1)"))
    git("commit", "-qam", "Fix the off-by-one in sum_to", cwd=where)
    return where


def test_anonymous_clone_of_public_repo_has_the_seeded_files(github, tmp_path):
    git("clone", "--quiet", github.git_url("acme/calc"), str(tmp_path / "calc"))
    assert "range(1, n)" in (tmp_path / "calc" / "calc.py").read_text()
    assert (tmp_path / "calc" / "test_calc.py").exists()
    log = git("log", "--format=%s", cwd=tmp_path / "calc").stdout.split("\n")
    assert log[0] == "Initial commit"


def test_push_without_token_is_refused(github, tmp_path):
    work = clone_and_commit(github.git_url("acme/calc"), tmp_path / "calc", "fix")
    pushed = git("push", "origin", "fix", cwd=work, check=False)
    assert pushed.returncode != 0
    assert "Authentication failed" in pushed.stderr or "could not read Username" in pushed.stderr
    with github.http() as http:
        assert http.get("/repos/acme/calc/branches/fix").status_code == 404


def test_push_with_a_read_only_token_is_refused(github, tmp_path):
    work = clone_and_commit(github.git_url("acme/calc"), tmp_path / "calc", "fix")
    url = github.git_url("acme/calc", github.tokens["mallory"])
    pushed = git("push", url, "fix", cwd=work, check=False)
    assert pushed.returncode != 0
    assert "403" in pushed.stderr or "denied" in pushed.stderr


def test_pushed_branch_becomes_a_draft_pull_request(github, tmp_path):
    token = github.tokens["bob"]
    work = clone_and_commit(github.git_url("acme/calc", token), tmp_path / "calc", "bzzz/fix-1")
    git("push", "-q", "origin", "bzzz/fix-1", cwd=work)
    head_sha = git("rev-parse", "HEAD", cwd=work).stdout.strip()

    gh = github.client("bob")
    branch = gh.rest.repos.get_branch("acme", "calc", "bzzz/fix-1").parsed_data
    assert branch.commit.sha == head_sha
    pr = gh.rest.pulls.create(
        "acme",
        "calc",
        title="Fix sum_to",
        head="bzzz/fix-1",
        base="main",
        body="Fixes #1",
        draft=True,
    ).parsed_data
    assert (pr.number, pr.draft, pr.state) == (2, True, "open")
    assert (pr.head.sha, pr.commits, pr.additions, pr.deletions) == (head_sha, 1, 1, 1)

    got = gh.rest.pulls.get("acme", "calc", pr.number).parsed_data
    assert got.draft is True
    listed = gh.rest.pulls.list("acme", "calc", head="acme:bzzz/fix-1").parsed_data
    assert [p.number for p in listed] == [pr.number]
    updated = gh.rest.pulls.update("acme", "calc", pr.number, title="Fix sum_to(n)").parsed_data
    assert updated.title == "Fix sum_to(n)"
    assert updated.draft is True
    closed = gh.rest.pulls.update("acme", "calc", pr.number, state="closed").parsed_data
    assert closed.state == "closed"
    assert gh.rest.pulls.list("acme", "calc").parsed_data == []

    # A second pull request for the same head and base is refused, as on GitHub.
    gh.rest.pulls.update("acme", "calc", pr.number, state="open")
    with pytest.raises(RequestFailed) as dup:
        gh.rest.pulls.create("acme", "calc", title="again", head="bzzz/fix-1", base="main")
    assert dup.value.response.status_code == 422


def test_pull_request_from_unknown_branch_is_422(github):
    with github.http(github.tokens["bob"]) as http:
        reply = http.post(
            "/repos/acme/calc/pulls", json={"title": "x", "head": "nope", "base": "main"}
        )
    assert reply.status_code == 422
    assert reply.json()["errors"] == [
        {"resource": "PullRequest", "field": "head", "code": "invalid"}
    ]


def test_create_ref_through_the_api(github):
    gh = github.client("bob")
    main = gh.rest.git.get_ref("acme", "calc", "heads/main").parsed_data
    made = gh.rest.git.create_ref("acme", "calc", ref="refs/heads/topic", sha=main.object_.sha)
    assert made.status_code == 201
    names = [b.name for b in gh.rest.repos.list_branches("acme", "calc").parsed_data]
    assert names == ["main", "topic"]


@pytest.mark.github_seed(TWO_REPOS)
def test_installation_token_is_scoped_to_its_repositories(github, tmp_path):
    from tests.fixtures.github import app_jwt

    with httpx.Client(base_url=github.base_url, timeout=10) as http:
        found = http.get(
            "/repos/acme/calc/installation", headers={"Authorization": f"Bearer {app_jwt(9)}"}
        )
        assert found.status_code == 200
        assert found.json()["id"] == 5
        assert http.get("/repos/acme/calc/installation").status_code == 401
    token = github.installation_token(5, app_id=9)
    assert token.startswith("ghs_")
    gh = github.client(token=token)
    assert gh.rest.repos.get("acme", "calc").parsed_data.full_name == "acme/calc"
    for other in ("secret", "docs"):
        with pytest.raises(RequestFailed) as hidden:
            gh.rest.repos.get("acme", other)
        assert hidden.value.response.status_code == 404
    listed = gh.rest.apps.list_repos_accessible_to_installation().parsed_data
    assert [r.full_name for r in listed.repositories] == ["acme/calc"]
    # `issues: read` does not allow writing issues.
    with pytest.raises(RequestFailed) as refused:
        gh.rest.issues.create("acme", "calc", title="from the app")
    assert refused.value.response.status_code == 403
    # `contents: write` allows a push over HTTPS with the token as password.
    work = tmp_path / "calc"
    git("clone", "--quiet", github.git_url("acme/calc", token), str(work))
    (work / "calc.py").write_text("X = 2\n")
    git("commit", "-qam", "bump", cwd=work)
    git("push", "-q", "origin", "HEAD:refs/heads/bump", cwd=work)
    assert gh.rest.repos.get_branch("acme", "calc", "bump").status_code == 200
    # An expired token is bad credentials.
    github.expire_token(token)
    with pytest.raises(RequestFailed) as expired:
        gh.rest.repos.get("acme", "calc")
    assert expired.value.response.status_code == 401


@pytest.mark.github_seed(TWO_REPOS)
def test_private_repo_is_hidden_from_anonymous_git_and_rest(github, tmp_path):
    cloned = git("clone", github.git_url("acme/secret"), str(tmp_path / "s"), check=False)
    assert cloned.returncode != 0
    with github.http() as http:
        assert http.get("/repos/acme/secret").status_code == 404
    git("clone", "--quiet", github.git_url("acme/secret", "ghp_alice"), str(tmp_path / "s"))
    assert (tmp_path / "s" / "s.txt").read_text() == "hidden\n"


@pytest.mark.github_seed(TWO_REPOS)
def test_narrowed_installation_token_request(github):
    with httpx.Client(base_url=github.base_url, timeout=10) as http:
        from tests.fixtures.github import app_jwt

        auth = {"Authorization": f"Bearer {app_jwt(9)}"}
        ok = http.post(
            "/app/installations/5/access_tokens",
            headers=auth,
            json={"repositories": ["calc"], "permissions": {"contents": "read"}},
        )
        assert ok.status_code == 201
        assert ok.json()["permissions"]["contents"] == "read"
        too_much = http.post(
            "/app/installations/5/access_tokens",
            headers=auth,
            json={"permissions": {"issues": "write"}},
        )
        assert too_much.status_code == 422
        not_installed = http.post(
            "/app/installations/5/access_tokens", headers=auth, json={"repositories": ["docs"]}
        )
        assert not_installed.status_code == 422
