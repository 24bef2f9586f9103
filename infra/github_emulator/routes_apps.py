"""GitHub App endpoints: find an installation, mint installation tokens, list its repositories."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

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
    repos = _selected_repos(ctx, inst.account, inst.repos, body)
    permissions = _selected_permissions(inst.permissions, body.get("permissions"))
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


def _selected_repos(ctx: Ctx, account: str, granted: list[str], body: dict[str, Any]) -> list[str]:
    """`repositories` (names) and `repository_ids` narrow the token; nothing beyond the grant.

    Without either the token reaches every repository of the installation, as
    GitHub's description of this endpoint says.
    """
    names, ids = body.get("repositories") or [], body.get("repository_ids") or []
    if not names and not ids:
        return list(granted)
    by_id = {ctx.world.repos[r.lower()].id: r.lower() for r in granted}
    wanted = {f"{account}/{name}".lower() for name in names}
    unknown = [w for w in wanted if w not in by_id.values()] + [i for i in ids if i not in by_id]
    if unknown:
        raise Unprocessable(
            "There is at least one repository that does not exist or is "
            "not accessible to the parent installation.",
            errors=[],
        )
    wanted |= {by_id[i] for i in ids}
    return [r for r in granted if r.lower() in wanted]


def _selected_permissions(granted: dict[str, str], asked: dict[str, str] | None) -> dict[str, str]:
    """Exactly the asked permissions (plus metadata: read, which every token has).

    Without `permissions` the token has all the installation's; asking beyond
    the grant (a scope it lacks, write where it has read) is refused.
    """
    if not asked:
        return dict(granted)
    for scope, level in asked.items():
        have = granted.get(scope)
        if have is None or (level == "write" and have != "write"):
            raise Unprocessable(
                f"The permissions requested are not granted to this installation: {scope}",
                errors=[],
            )
    return {"metadata": "read", **asked}


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
