"""Webhook payloads, built from the same shapes as REST replies."""

from __future__ import annotations

from typing import Any

from infra.github_emulator import shapes, shapes_git, shapes_repo, shapes_review
from infra.github_emulator.state import (
    Comment,
    Installation,
    Issue,
    Repo,
    Review,
    ReviewComment,
    World,
)

_REST_ONLY_LABEL_FIELDS = ("archived_at", "archived_by")


def _webhook_labels(payload: dict[str, Any]) -> dict[str, Any]:
    """Drop label fields the webhook schemas do not (yet) allow."""
    labels = [payload.get("label")]
    for key in ("issue", "pull_request"):
        labels.extend((payload.get(key) or {}).get("labels", []))
    for item in labels:
        for name in _REST_ONLY_LABEL_FIELDS:
            if isinstance(item, dict):
                item.pop(name, None)
    return payload


def _common(world: World, repo: Repo, sender: str) -> dict[str, Any]:
    common: dict[str, Any] = {
        "repository": shapes_repo.repository(world, repo),
        "sender": shapes_repo.user(world, sender),
    }
    inst = world.installation_for(repo.full_name)
    if inst is not None:
        common["installation"] = {"id": inst.id, "node_id": shapes_repo.node_id("MDIz", inst.id)}
    return common


def issues(
    world: World, repo: Repo, issue: Issue, action: str, sender: str, label: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"action": action, "issue": shapes.issue(world, repo, issue)}
    if label is not None:
        payload["label"] = shapes.label(world, repo, repo.labels[label.lower()])
    return _webhook_labels({**payload, **_common(world, repo, sender)})


def issue_comment(
    world: World, repo: Repo, issue: Issue, comment: Comment, action: str, sender: str
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action": action,
        "issue": shapes.issue(world, repo, issue),
        "comment": shapes.comment(world, repo, comment),
    }
    return _webhook_labels({**payload, **_common(world, repo, sender)})


def pull_request(
    world: World, repo: Repo, issue: Issue, action: str, sender: str
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action": action,
        "number": issue.number,
        "pull_request": shapes_git.pull_request(world, repo, issue),
    }
    return _webhook_labels({**payload, **_common(world, repo, sender)})


def pull_request_review(
    world: World, repo: Repo, issue: Issue, review: Review, sender: str
) -> dict[str, Any]:
    shape = shapes_git.review(world, repo, issue, review)
    # Webhooks spell review states in lower case, REST in upper case (as GitHub does).
    shape["state"] = shape["state"].lower()
    payload: dict[str, Any] = {
        "action": "submitted",
        "review": shape,
        "pull_request": shapes_git.pull_request(world, repo, issue, full=False),
    }
    return _webhook_labels({**payload, **_common(world, repo, sender)})


def pull_request_review_comment(
    world: World, repo: Repo, issue: Issue, comment: ReviewComment, sender: str
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action": "created",
        "comment": shapes_review.review_comment(world, repo, issue, comment),
        "pull_request": shapes_git.pull_request(world, repo, issue, full=False),
    }
    return _webhook_labels({**payload, **_common(world, repo, sender)})


def installation_created(world: World, inst: Installation, sender: str) -> dict[str, Any]:
    repos = [world.repos[name.lower()] for name in inst.repos]
    return {
        "action": "created",
        "installation": shapes_git.installation(world, inst),
        "repositories": [
            {
                "id": r.id,
                "node_id": shapes_repo.node_id("R", r.id),
                "name": r.name,
                "full_name": r.full_name,
                "private": r.private,
            }
            for r in repos
        ],
        "sender": shapes_repo.user(world, sender),
    }


def repository_dispatch(
    world: World, repo: Repo, event_type: str, client_payload: dict[str, Any], sender: str
) -> dict[str, Any]:
    payload = {
        "action": event_type,
        "branch": repo.default_branch,
        "client_payload": client_payload,
    }
    return {**payload, **_common(world, repo, sender)}
