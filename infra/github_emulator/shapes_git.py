"""JSON shapes of pull requests, reviews, branches, refs and app installations."""

from __future__ import annotations

from typing import Any

from infra.github_emulator import gitrepo
from infra.github_emulator.shapes import author_association, issue
from infra.github_emulator.shapes_repo import node_id, repo_url, repository, user
from infra.github_emulator.state import Installation, Issue, Repo, Review, World, iso

ZERO_SHA = "0" * 40


def _end(world: World, repo: Repo, branch: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{branch}",
        "ref": branch,
        "sha": gitrepo.resolve(repo.git_dir, f"refs/heads/{branch}") or ZERO_SHA,
        "user": user(world, repo.owner),
        "repo": repository(world, repo),
    }


def pull_request(world: World, repo: Repo, item: Issue, *, full: bool = True) -> dict[str, Any]:
    """`pull-request` (full=True) or `pull-request-simple`/the webhook's simple-pull-request."""
    assert item.pull is not None
    pr = item.pull
    base_issue = issue(world, repo, item)
    api = f"{repo_url(world, repo)}/pulls/{item.number}"
    html = f"{world.base_url}/{repo.full_name}/pull/{item.number}"
    head = _end(world, repo, pr.head)
    shape: dict[str, Any] = {
        "url": api,
        "id": pr.id,
        "node_id": node_id("PR", pr.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": base_issue["url"],
        "number": item.number,
        "state": item.state,
        "locked": item.locked,
        "title": item.title,
        "user": base_issue["user"],
        "body": item.body,
        "created_at": base_issue["created_at"],
        "updated_at": base_issue["updated_at"],
        "closed_at": base_issue["closed_at"],
        "merged_at": iso(pr.merged_at),
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": base_issue["assignee"],
        "assignees": base_issue["assignees"],
        "requested_reviewers": [],
        "requested_teams": [],
        # A pull request's labels have a string description in GitHub's description (an
        # issue's may be null): a label created by being added has none, so "".
        "labels": [{**lb, "description": lb["description"] or ""} for lb in base_issue["labels"]],
        "milestone": None,
        "draft": pr.draft,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{repo_url(world, repo)}/pulls/comments{{/number}}",
        "comments_url": base_issue["comments_url"],
        "statuses_url": f"{repo_url(world, repo)}/statuses/{head['sha']}",
        "head": head,
        "base": _end(world, repo, pr.base),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "issue": {"href": base_issue["url"]},
            "comments": {"href": base_issue["comments_url"]},
            "review_comments": {"href": f"{api}/comments"},
            "review_comment": {"href": f"{repo_url(world, repo)}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/commits"},
            "statuses": {"href": f"{repo_url(world, repo)}/statuses/{head['sha']}"},
        },
        "author_association": base_issue["author_association"],
        "auto_merge": None,
        "active_lock_reason": None,
    }
    if full:
        stats = gitrepo.diff_stats(repo.git_dir, f"refs/heads/{pr.base}", f"refs/heads/{pr.head}")
        shape.update(
            merged=pr.merged,
            mergeable=None,
            rebaseable=None,
            mergeable_state="unknown",
            merged_by=user(world, pr.merged_by) if pr.merged_by else None,
            comments=base_issue["comments"],
            review_comments=len(pr.comments),
            maintainer_can_modify=pr.maintainer_can_modify,
            commits=stats.commits,
            additions=stats.additions,
            deletions=stats.deletions,
            changed_files=stats.changed_files,
        )
    return shape


def review(world: World, repo: Repo, item: Issue, rev: Review) -> dict[str, Any]:
    pull_api = f"{repo_url(world, repo)}/pulls/{item.number}"
    html = f"{world.base_url}/{repo.full_name}/pull/{item.number}#pullrequestreview-{rev.id}"
    return {
        "id": rev.id,
        "node_id": node_id("PRR", rev.id),
        "user": user(world, rev.user),
        "body": rev.body,
        "commit_id": rev.commit_id,
        "submitted_at": iso(rev.submitted_at),
        "state": rev.state,
        "html_url": html,
        "pull_request_url": pull_api,
        "author_association": author_association(repo, rev.user),
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_api}},
    }


def _commit(world: World, repo: Repo, sha: str) -> dict[str, Any]:
    info = gitrepo.commit_info(repo.git_dir, sha)
    api = f"{repo_url(world, repo)}/commits/{sha}"
    return {
        "url": api,
        "sha": sha,
        "node_id": node_id("C", int(sha[:8], 16)),
        "html_url": f"{world.base_url}/{repo.full_name}/commit/{sha}",
        "comments_url": f"{api}/comments",
        "commit": {
            "url": f"{repo_url(world, repo)}/git/commits/{sha}",
            "author": {
                "name": info.author_name,
                "email": info.author_email,
                "date": info.author_date,
            },
            "committer": {
                "name": info.committer_name,
                "email": info.committer_email,
                "date": info.committer_date,
            },
            "message": info.message,
            "comment_count": 0,
            "tree": {"sha": info.tree, "url": f"{repo_url(world, repo)}/git/trees/{info.tree}"},
        },
        "author": None,
        "committer": None,
        "parents": [
            {"sha": p, "url": f"{repo_url(world, repo)}/commits/{p}"} for p in info.parents
        ],
    }


def short_branch(world: World, repo: Repo, name: str, sha: str) -> dict[str, Any]:
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{repo_url(world, repo)}/commits/{sha}"},
        "protected": False,
    }


def branch(world: World, repo: Repo, name: str, sha: str) -> dict[str, Any]:
    api = f"{repo_url(world, repo)}/branches/{name}"
    return {
        "name": name,
        "commit": _commit(world, repo, sha),
        "_links": {"html": f"{world.base_url}/{repo.full_name}/tree/{name}", "self": api},
        "protected": False,
        "protection": {"enabled": False},
        "protection_url": f"{api}/protection",
    }


def git_ref(world: World, repo: Repo, ref: str, sha: str, kind: str = "commit") -> dict[str, Any]:
    return {
        "ref": ref,
        "node_id": node_id("REF", int(sha[:8], 16)),
        "url": f"{repo_url(world, repo)}/git/{ref}",
        "object": {
            "type": kind,
            "sha": sha,
            "url": f"{repo_url(world, repo)}/git/{kind}s/{sha}",
        },
    }


def installation(world: World, inst: Installation) -> dict[str, Any]:
    app = world.apps[inst.app_id]
    account = world.user(inst.account)
    api = f"{world.base_url}/app/installations/{inst.id}"
    return {
        "id": inst.id,
        "account": user(world, account.login),
        "repository_selection": "selected",
        "access_tokens_url": f"{api}/access_tokens",
        "repositories_url": f"{world.base_url}/installation/repositories",
        "html_url": f"{world.base_url}/organizations/{account.login}/settings/installations/"
        f"{inst.id}",
        "app_id": app.id,
        "app_slug": app.slug,
        "target_id": account.id,
        "target_type": account.type,
        "permissions": dict(inst.permissions),
        "events": list(inst.events),
        "created_at": iso(inst.created_at),
        "updated_at": iso(inst.created_at),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }
