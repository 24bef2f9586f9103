"""Issues, labels and assignees."""

from __future__ import annotations

from starlette.routing import Route

from infra.github_emulator import actions, shapes, shapes_repo
from infra.github_emulator.auth import require_write
from infra.github_emulator.errors import invalid
from infra.github_emulator.rest import Ctx, Reply, endpoint
from infra.github_emulator.state import Issue, Label, now

R = "/repos/{owner}/{repo}"


def list_issues(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    state = ctx.query.get("state", "open")
    wanted = {n.strip().lower() for n in ctx.query.get("labels", "").split(",") if n.strip()}
    items = [
        i
        for i in sorted(repo.issues.values(), key=lambda i: i.number, reverse=True)
        if (state == "all" or i.state == state) and wanted <= {n.lower() for n in i.labels}
    ]
    if ctx.query.get("direction") == "asc":
        items.reverse()
    return ctx.page([shapes.issue(ctx.world, repo, i) for i in items])


def create_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    require_write(ctx.identity, repo, "issues", role="read")
    body = ctx.json()
    title = body.get("title")
    if not isinstance(title, str | int) or not str(title).strip():
        raise invalid("Issue", "title", "missing_field")
    issue = Issue(
        id=ctx.world.new_id(),
        number=repo.next_number(),
        title=str(title),
        body=body.get("body"),
        user=ctx.identity.login,
        assignees=[ctx.world.user(a).login for a in body.get("assignees") or []],
    )
    repo.issues[issue.number] = issue
    for name in body.get("labels") or []:
        name = name["name"] if isinstance(name, dict) else name
        if name.lower() not in repo.labels:
            repo.labels[name.lower()] = Label(id=ctx.world.new_id(), name=name)
        issue.labels.append(repo.labels[name.lower()].name)
    url = f"{shapes_repo.repo_url(ctx.world, repo)}/issues/{issue.number}"
    return Reply(shapes.issue(ctx.world, repo, issue), 201, {"Location": url})


def get_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(shapes.issue(ctx.world, repo, ctx.issue(repo)))


def update_issue(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    body = ctx.json()
    own = issue.user.lower() == ctx.identity.login.lower()
    require_write(ctx.identity, repo, "issues", role="read" if own else "triage")
    hooks = ctx.emulator.webhooks
    text: dict[str, object] = {k: body[k] for k in ("title", "body") if k in body}
    actions.edit_issue(ctx.world, hooks, repo, issue, text, ctx.identity.login)
    if "assignees" in body:
        issue.assignees = [ctx.world.user(a).login for a in body["assignees"] or []]
    if "labels" in body:
        names = [n["name"] if isinstance(n, dict) else n for n in body["labels"] or []]
        for old in list(issue.labels):
            if old.lower() not in {n.lower() for n in names}:
                actions.remove_label(ctx.world, hooks, repo, issue, old, ctx.identity.login)
        actions.add_labels(ctx.world, hooks, repo, issue, names, ctx.identity.login)
    if "state" in body:
        actions.set_state(
            ctx.world,
            hooks,
            repo,
            issue,
            body["state"],
            body.get("state_reason"),
            ctx.identity.login,
        )
    issue.updated_at = now()
    return Reply(shapes.issue(ctx.world, repo, issue))


def issue_events(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    return ctx.page([shapes.issue_event(ctx.world, repo, issue, e) for e in issue.events])


def list_repo_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    items = sorted(repo.labels.values(), key=lambda label: label.name.lower())
    return ctx.page([shapes.label(ctx.world, repo, label) for label in items])


def create_label(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    require_write(ctx.identity, repo, "issues", role="triage")
    body = ctx.json()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("Label", "name", "missing_field")
    if name.lower() in repo.labels:
        raise invalid("Label", "name", "already_exists")
    label = Label(
        id=ctx.world.new_id(),
        name=name,
        color=str(body.get("color", "ededed")).lstrip("#"),
        description=body.get("description"),
    )
    repo.labels[name.lower()] = label
    return Reply(shapes.label(ctx.world, repo, label), 201)


def issue_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    return ctx.page([shapes.label(ctx.world, repo, repo.labels[n.lower()]) for n in issue.labels])


def add_issue_labels(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    require_write(ctx.identity, repo, "issues", role="triage")
    # GitHub takes `{"labels": [...]}` or the bare list.
    body = ctx.any_json()
    names = (
        body if isinstance(body, list) else body.get("labels") if isinstance(body, dict) else None
    )
    if not isinstance(names, list) or not names:
        raise invalid("Label", "labels", "missing_field")
    names = [n["name"] if isinstance(n, dict) else n for n in names]
    actions.add_labels(ctx.world, ctx.emulator.webhooks, repo, issue, names, ctx.identity.login)
    return Reply([shapes.label(ctx.world, repo, repo.labels[n.lower()]) for n in issue.labels])


def remove_issue_label(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    require_write(ctx.identity, repo, "issues", role="triage")
    hooks = ctx.emulator.webhooks
    actions.remove_label(ctx.world, hooks, repo, issue, ctx.params["name"], ctx.identity.login)
    return Reply([shapes.label(ctx.world, repo, repo.labels[n.lower()]) for n in issue.labels])


def add_assignees(ctx: Ctx) -> Reply:
    return _assignees(ctx, add=True)


def remove_assignees(ctx: Ctx) -> Reply:
    return _assignees(ctx, add=False)


def _assignees(ctx: Ctx, add: bool) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    require_write(ctx.identity, repo, "issues", role="triage")
    names = ctx.json().get("assignees") or []
    if not isinstance(names, list):
        raise invalid("Issue", "assignees", "invalid")
    for name in names:
        login = ctx.world.user(name).login
        if add and login not in issue.assignees and repo.role_of(login):
            issue.assignees.append(login)
        elif not add and login in issue.assignees:
            issue.assignees.remove(login)
    issue.updated_at = now()
    return Reply(shapes.issue(ctx.world, repo, issue), 201 if add else 200)


ROUTES = [
    Route(f"{R}/issues", endpoint(list_issues), methods=["GET"]),
    Route(f"{R}/issues", endpoint(create_issue), methods=["POST"]),
    Route(f"{R}/issues/{{number}}", endpoint(get_issue), methods=["GET"]),
    Route(f"{R}/issues/{{number}}", endpoint(update_issue), methods=["PATCH"]),
    Route(f"{R}/issues/{{number}}/labels", endpoint(issue_labels), methods=["GET"]),
    Route(f"{R}/issues/{{number}}/labels", endpoint(add_issue_labels), methods=["POST"]),
    Route(
        f"{R}/issues/{{number}}/labels/{{name}}", endpoint(remove_issue_label), methods=["DELETE"]
    ),
    Route(f"{R}/issues/{{number}}/events", endpoint(issue_events), methods=["GET"]),
    Route(f"{R}/issues/{{number}}/assignees", endpoint(add_assignees), methods=["POST"]),
    Route(f"{R}/issues/{{number}}/assignees", endpoint(remove_assignees), methods=["DELETE"]),
    Route(f"{R}/labels", endpoint(list_repo_labels), methods=["GET"]),
    Route(f"{R}/labels", endpoint(create_label), methods=["POST"]),
]
