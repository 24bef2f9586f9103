"""GitHub App endpoints: find an installation, mint installation tokens, list its repositories."""

from __future__ import annotations

import secrets
from datetime import timedelta

from starlette.routing import Route

from infra.github_emulator import shapes_git, shapes_repo
from infra.github_emulator.auth import require_app, require_user
from infra.github_emulator.errors import Forbidden, NotFound, Unprocessable
from infra.github_emulator.rest import Ctx, Reply, endpoint
from infra.github_emulator.state import Token, iso, now

TOKEN_LIFETIME = timedelta(hours=1)


def repo_installation(ctx: Ctx) -> Reply:
    app_id = require_app(ctx.identity)
    full = f"{ctx.params['owner']}/{ctx.params['repo']}"
    inst = ctx.world.installation_for(full)
    if inst is None or inst.app_id != app_id:
        raise NotFound()
    return Reply(shapes_git.installation(ctx.world, inst))


def get_installation(ctx: Ctx) -> Reply:
    app_id = require_app(ctx.identity)
    inst = ctx.world.installations.get(int(ctx.params["installation_id"]))
    if inst is None or inst.app_id != app_id:
        raise NotFound()
    return Reply(shapes_git.installation(ctx.world, inst))


def create_access_token(ctx: Ctx) -> Reply:
    app_id = require_app(ctx.identity)
    inst = ctx.world.installations.get(int(ctx.params["installation_id"]))
    if inst is None or inst.app_id != app_id:
        raise NotFound()
    body = ctx.json()
    repos = list(inst.repos)
    if body.get("repositories"):
        wanted = [f"{inst.account}/{name}".lower() for name in body["repositories"]]
        unknown = [w for w in wanted if w not in (r.lower() for r in inst.repos)]
        if unknown:
            raise Unprocessable(
                "There is at least one repository that does not exist or is "
                "not accessible to the parent installation.",
                errors=[],
            )
        repos = [r for r in inst.repos if r.lower() in wanted]
    permissions = dict(inst.permissions)
    for scope, level in (body.get("permissions") or {}).items():
        granted = inst.permissions.get(scope)
        if granted is None or (level == "write" and granted != "write"):
            raise Unprocessable(
                f"The permissions requested are not granted to this installation: {scope}",
                errors=[],
            )
        permissions[scope] = level
    token = Token(
        value="ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36],
        installation_id=inst.id,
        repos=repos,
        permissions=permissions,
        expires_at=now() + TOKEN_LIFETIME,
    )
    ctx.world.tokens[token.value] = token
    ctx.world.user(ctx.world.apps[inst.app_id].slug + "[bot]").type = "Bot"
    reply = {
        "token": token.value,
        "expires_at": iso(token.expires_at),
        "permissions": permissions,
        "repository_selection": "selected",
        "repositories": [
            shapes_repo.repository(ctx.world, ctx.world.repos[r.lower()]) for r in repos
        ],
    }
    return Reply(reply, 201)


def installation_repositories(ctx: Ctx) -> Reply:
    require_user(ctx.identity)
    token = ctx.identity.token
    if token is None or token.installation_id is None or token.repos is None:
        raise Forbidden("This endpoint requires an installation access token")
    page = ctx.page(
        [shapes_repo.repository(ctx.world, ctx.world.repos[r.lower()]) for r in token.repos]
    )
    page.body = {"total_count": len(token.repos), "repositories": page.body}
    return page


ROUTES = [
    Route("/repos/{owner}/{repo}/installation", endpoint(repo_installation), methods=["GET"]),
    Route("/app/installations/{installation_id:int}", endpoint(get_installation), methods=["GET"]),
    Route(
        "/app/installations/{installation_id:int}/access_tokens",
        endpoint(create_access_token),
        methods=["POST"],
    ),
    Route("/installation/repositories", endpoint(installation_repositories), methods=["GET"]),
]
