"""JSON shapes of users and repositories, valid both as REST replies and in webhook payloads."""

from __future__ import annotations

import base64
from typing import Any

from infra.github_emulator.state import Repo, User, World, iso


def node_id(kind: str, ident: int) -> str:
    return f"{kind}_" + base64.b64encode(f"{kind}{ident}".encode()).decode().rstrip("=")


def user(world: World, login: str) -> dict[str, Any]:
    u: User = world.user(login)
    api = f"{world.base_url}/users/{u.login}"
    return {
        "login": u.login,
        "id": u.id,
        "node_id": node_id("U", u.id),
        "avatar_url": f"{world.base_url}/avatars/{u.login}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{world.base_url}/{u.login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": u.type,
        "site_admin": False,
    }


def private_user(world: World, login: str) -> dict[str, Any]:
    """`GET /user`: the authenticated user, with the private fields."""
    u = world.user(login)
    owned = [r for r in world.repos.values() if r.owner == u.login]
    return {
        **user(world, login),
        "name": u.name,
        "company": None,
        "blog": "",
        "location": None,
        "email": u.email,
        "hireable": None,
        "bio": None,
        "public_repos": sum(not r.private for r in owned),
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(u.created_at),
        "updated_at": iso(u.created_at),
        "private_gists": 0,
        "total_private_repos": sum(r.private for r in owned),
        "owned_private_repos": sum(r.private for r in owned),
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": True,
    }


def repo_url(world: World, repo: Repo) -> str:
    return f"{world.base_url}/repos/{repo.full_name}"


def repository(world: World, repo: Repo, *, full: bool = False) -> dict[str, Any]:
    api = repo_url(world, repo)
    html = f"{world.base_url}/{repo.full_name}"
    open_issues = sum(i.state == "open" for i in repo.issues.values())
    shape: dict[str, Any] = {
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": user(world, repo.owner),
        "html_url": html,
        "description": repo.description,
        "fork": False,
        "url": api,
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.updated_at),
        "pushed_at": iso(repo.updated_at),
        "git_url": f"git://{world.base_url.split('://', 1)[-1]}/{repo.full_name}.git",
        "ssh_url": f"git@localhost:{repo.full_name}.git",
        "clone_url": f"{html}.git",
        "svn_url": html,
        "homepage": None,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": None,
        "has_issues": True,
        "has_projects": False,
        "has_downloads": True,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 0,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": open_issues,
        "license": None,
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "visibility": "private" if repo.private else "public",
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": repo.default_branch,
        "custom_properties": {},
    }
    for name, suffix in _REPO_URLS.items():
        shape[name] = f"{api}{suffix}"
    if full:
        shape.update(network_count=0, subscribers_count=0)
    return shape


_REPO_URLS = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}
