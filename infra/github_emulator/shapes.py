"""JSON shapes of labels, issues, comments and reactions, as GitHub sends them.

Each shape satisfies both the REST description and the webhook schemas (which
forbid extra properties), so REST replies and webhook payloads share them.
"""

from __future__ import annotations

from typing import Any

from infra.github_emulator.shapes_repo import node_id, repo_url, user
from infra.github_emulator.state import (
    Comment,
    Issue,
    IssueEvent,
    Label,
    Reaction,
    Repo,
    World,
    iso,
)

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")


def label(world: World, repo: Repo, item: Label) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": node_id("LA", item.id),
        "url": f"{repo_url(world, repo)}/labels/{item.name}",
        "name": item.name,
        "color": item.color,
        "default": item.default,
        "description": item.description,
        # Newer than the pinned OpenAPI description, but githubkit 0.16 requires them;
        # events.py strips them from webhook payloads, whose schema forbids them.
        "archived_at": None,
        "archived_by": None,
    }


def reaction_rollup(url: str, reactions: list[Reaction]) -> dict[str, Any]:
    counts: dict[str, Any] = {k: sum(r.content == k for r in reactions) for k in REACTIONS}
    return {"url": url, "total_count": len(reactions), **counts}


def reaction(world: World, item: Reaction) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": node_id("REA", item.id),
        "user": user(world, item.user),
        "content": item.content,
        "created_at": iso(item.created_at),
    }


def author_association(repo: Repo, login: str) -> str:
    if login.lower() == repo.owner.lower():
        return "OWNER"
    return "COLLABORATOR" if repo.role_of(login) else "NONE"


def issue(world: World, repo: Repo, item: Issue) -> dict[str, Any]:
    api = f"{repo_url(world, repo)}/issues/{item.number}"
    kind = "pull" if item.pull else "issues"
    comments = sum(
        c.issue_number == item.number and c.repo == repo.full_name for c in world.comments.values()
    )
    shape: dict[str, Any] = {
        "url": api,
        "repository_url": repo_url(world, repo),
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{world.base_url}/{repo.full_name}/{kind}/{item.number}",
        "id": item.id,
        "node_id": node_id("I", item.id),
        "number": item.number,
        "title": item.title,
        "user": user(world, item.user),
        "labels": [label(world, repo, repo.labels[n.lower()]) for n in item.labels],
        "state": item.state,
        "locked": item.locked,
        "assignee": user(world, item.assignees[0]) if item.assignees else None,
        "assignees": [user(world, a) for a in item.assignees],
        "milestone": None,
        "comments": comments,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "closed_at": iso(item.closed_at),
        "author_association": author_association(repo, item.user),
        "active_lock_reason": None,
        "body": item.body,
        "reactions": reaction_rollup(f"{api}/reactions", item.reactions),
        "timeline_url": f"{api}/timeline",
        "performed_via_github_app": None,
        "state_reason": item.state_reason,
    }
    if item.pull:
        pull_api = f"{repo_url(world, repo)}/pulls/{item.number}"
        html = f"{world.base_url}/{repo.full_name}/pull/{item.number}"
        shape["draft"] = item.pull.draft
        shape["pull_request"] = {
            "url": pull_api,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": iso(item.pull.merged_at),
        }
    return shape


def comment(world: World, repo: Repo, item: Comment) -> dict[str, Any]:
    api = f"{repo_url(world, repo)}/issues/comments/{item.id}"
    return {
        "url": api,
        "html_url": f"{world.base_url}/{repo.full_name}/issues/{item.issue_number}"
        f"#issuecomment-{item.id}",
        "issue_url": f"{repo_url(world, repo)}/issues/{item.issue_number}",
        "id": item.id,
        "node_id": node_id("IC", item.id),
        "user": user(world, item.user),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "author_association": author_association(repo, item.user),
        "body": item.body,
        "reactions": reaction_rollup(f"{api}/reactions", item.reactions),
        "performed_via_github_app": None,
    }


def issue_event(world: World, repo: Repo, item: Issue, event: IssueEvent) -> dict[str, Any]:
    """An entry of an issue's events, as `GET /repos/{o}/{r}/issues/{n}/events` lists it."""
    shape: dict[str, Any] = {
        "id": event.id,
        "node_id": node_id("LE" if event.event.endswith("labeled") else "IE", event.id),
        "url": f"{repo_url(world, repo)}/issues/events/{event.id}",
        "actor": user(world, event.actor),
        "event": event.event,
        "commit_id": None,
        "commit_url": None,
        "created_at": iso(event.created_at),
        "performed_via_github_app": None,
    }
    if event.label is not None:
        found = repo.labels.get(event.label.lower())
        shape["label"] = {"name": event.label, "color": found.color if found else "ededed"}
    return shape
