"""State changes that GitHub announces by webhook; shared by the REST routes and the admin API.

Callers hold the world's lock and have already checked permissions.
"""

from __future__ import annotations

from infra.github_emulator import events
from infra.github_emulator.errors import NotFound, invalid
from infra.github_emulator.state import (
    Comment,
    Issue,
    IssueEvent,
    Label,
    Repo,
    World,
    now,
)
from infra.github_emulator.webhooks import Webhooks


def add_labels(
    world: World, hooks: Webhooks, repo: Repo, issue: Issue, names: list[str], actor: str
) -> None:
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise invalid("Label", "name", "invalid")
        if name.lower() not in repo.labels:
            # Adding an unknown label to an issue creates it, as on GitHub.
            repo.labels[name.lower()] = Label(id=world.new_id(), name=name)
        canonical = repo.labels[name.lower()].name
        if canonical in issue.labels:
            continue
        issue.labels.append(canonical)
        issue.updated_at = now()
        issue.events.append(IssueEvent(world.new_id(), "labeled", actor, canonical))
        hooks.emit("issues", events.issues(world, repo, issue, "labeled", actor, canonical))


def remove_label(
    world: World, hooks: Webhooks, repo: Repo, issue: Issue, name: str, actor: str
) -> None:
    matches = [n for n in issue.labels if n.lower() == name.lower()]
    if not matches:
        raise NotFound("Label does not exist")
    issue.labels.remove(matches[0])
    issue.updated_at = now()
    issue.events.append(IssueEvent(world.new_id(), "unlabeled", actor, matches[0]))
    hooks.emit("issues", events.issues(world, repo, issue, "unlabeled", actor, matches[0]))


def edit_issue(
    world: World, hooks: Webhooks, repo: Repo, issue: Issue, changes: dict[str, object], actor: str
) -> None:
    """Change the title and/or body, announced as `issues.edited` with what they were."""
    was: dict[str, dict[str, str]] = {}
    if "title" in changes:
        title = changes["title"]
        if not isinstance(title, str) or not title.strip():
            raise invalid("Issue", "title", "missing_field")
        if title != issue.title:
            was["title"], issue.title = {"from": issue.title}, title
    if "body" in changes:
        body = changes["body"]
        if body is not None and not isinstance(body, str):
            raise invalid("Issue", "body", "invalid")
        if body != issue.body:
            was["body"], issue.body = {"from": issue.body or ""}, body
    if not was:
        return
    issue.updated_at = now()
    if issue.pull is None:
        payload = events.issues(world, repo, issue, "edited", actor)
        hooks.emit("issues", {**payload, "changes": was})


def set_state(
    world: World,
    hooks: Webhooks,
    repo: Repo,
    issue: Issue,
    state: str,
    reason: str | None,
    actor: str,
) -> None:
    if state not in ("open", "closed"):
        raise invalid("Issue", "state", "invalid", value=state)
    if state == issue.state:
        return
    issue.state, issue.updated_at = state, now()
    if state == "closed":
        issue.closed_at = now()
        issue.state_reason = reason or "completed"
        action = "closed"
    else:
        issue.closed_at, issue.state_reason = None, "reopened"
        action = "reopened"
    if issue.pull is None:
        hooks.emit("issues", events.issues(world, repo, issue, action, actor))
    else:
        hooks.emit("pull_request", events.pull_request(world, repo, issue, action, actor))


def add_comment(
    world: World, hooks: Webhooks, repo: Repo, issue: Issue, body: object, actor: str
) -> Comment:
    if not isinstance(body, str) or not body:
        raise invalid("IssueComment", "body", "missing_field")
    comment = Comment(
        id=world.new_id(), repo=repo.full_name, issue_number=issue.number, user=actor, body=body
    )
    world.comments[comment.id] = comment
    issue.updated_at = now()
    hooks.emit("issue_comment", events.issue_comment(world, repo, issue, comment, "created", actor))
    return comment
