"""Issue comments (editable) and reactions on issues and comments."""

from __future__ import annotations

from starlette.routing import Route

from infra.github_emulator import actions, shapes
from infra.github_emulator.auth import require_write
from infra.github_emulator.errors import NotFound, invalid
from infra.github_emulator.rest import Ctx, Reply, endpoint
from infra.github_emulator.state import Comment, Reaction, Repo, now

R = "/repos/{owner}/{repo}"


def list_comments(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    items = [
        c
        for c in ctx.world.comments.values()
        if c.repo == repo.full_name and c.issue_number == issue.number
    ]
    return ctx.page([shapes.comment(ctx.world, repo, c) for c in items])


def create_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo)
    require_write(ctx.identity, repo, "issues", role="read")
    comment = actions.add_comment(
        ctx.world, ctx.emulator.webhooks, repo, issue, ctx.json().get("body"), ctx.identity.login
    )
    return Reply(shapes.comment(ctx.world, repo, comment), 201)


def _comment(ctx: Ctx, repo: Repo) -> Comment:
    comment = ctx.world.comments.get(int(ctx.params["comment_id"]))
    if comment is None or comment.repo != repo.full_name:
        raise NotFound()
    return comment


def get_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(shapes.comment(ctx.world, repo, _comment(ctx, repo)))


def update_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    comment = _comment(ctx, repo)
    own = comment.user.lower() == ctx.identity.login.lower()
    require_write(ctx.identity, repo, "issues", role="read" if own else "triage")
    body = ctx.json().get("body")
    if not isinstance(body, str) or not body:
        raise invalid("IssueComment", "body", "missing_field")
    comment.body, comment.updated_at = body, now()
    return Reply(shapes.comment(ctx.world, repo, comment))


def delete_comment(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    comment = _comment(ctx, repo)
    own = comment.user.lower() == ctx.identity.login.lower()
    require_write(ctx.identity, repo, "issues", role="read" if own else "triage")
    del ctx.world.comments[comment.id]
    return Reply(None, 204)


def _reactions_of(ctx: Ctx) -> tuple[Repo, list[Reaction]]:
    repo = ctx.repo()
    if "comment_id" in ctx.params:
        return repo, _comment(ctx, repo).reactions
    return repo, ctx.issue(repo).reactions


def list_reactions(ctx: Ctx) -> Reply:
    _, reactions = _reactions_of(ctx)
    content = ctx.query.get("content")
    items = [r for r in reactions if content is None or r.content == content]
    return ctx.page([shapes.reaction(ctx.world, r) for r in items])


def create_reaction(ctx: Ctx) -> Reply:
    repo, reactions = _reactions_of(ctx)
    require_write(ctx.identity, repo, "issues", role="read")
    content = ctx.json().get("content")
    if content not in shapes.REACTIONS:
        raise invalid("Reaction", "content", "invalid", value=content)
    for existing in reactions:
        if existing.user == ctx.identity.login and existing.content == content:
            return Reply(shapes.reaction(ctx.world, existing), 200)
    reaction = Reaction(id=ctx.world.new_id(), user=ctx.identity.login, content=content)
    reactions.append(reaction)
    return Reply(shapes.reaction(ctx.world, reaction), 201)


ROUTES = [
    Route(f"{R}/issues/comments/{{comment_id:int}}", endpoint(get_comment), methods=["GET"]),
    Route(f"{R}/issues/comments/{{comment_id:int}}", endpoint(update_comment), methods=["PATCH"]),
    Route(f"{R}/issues/comments/{{comment_id:int}}", endpoint(delete_comment), methods=["DELETE"]),
    Route(
        f"{R}/issues/comments/{{comment_id:int}}/reactions",
        endpoint(list_reactions),
        methods=["GET"],
    ),
    Route(
        f"{R}/issues/comments/{{comment_id:int}}/reactions",
        endpoint(create_reaction),
        methods=["POST"],
    ),
    Route(f"{R}/issues/{{number}}/comments", endpoint(list_comments), methods=["GET"]),
    Route(f"{R}/issues/{{number}}/comments", endpoint(create_comment), methods=["POST"]),
    Route(f"{R}/issues/{{number}}/reactions", endpoint(list_reactions), methods=["GET"]),
    Route(f"{R}/issues/{{number}}/reactions", endpoint(create_reaction), methods=["POST"]),
]
