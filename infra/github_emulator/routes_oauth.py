"""The web flow's two github.com endpoints and the REST endpoints a user access token uses.

`/login/oauth/authorize` is the page a person sees (sign in, then Authorize or
Cancel); `/login/oauth/access_token` the app server's code exchange. The REST
endpoints `GET /user/installations` and `GET /user/installations/{id}/repositories`
are in GitHub's description and go through the REST transport like the others.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from infra.github_emulator import shapes_git, shapes_repo
from infra.github_emulator.auth import require_user
from infra.github_emulator.errors import Forbidden, NotFound
from infra.github_emulator.oauth import OAuth, OAuthClient, OAuthError
from infra.github_emulator.rest import Ctx, Reply, endpoint
from infra.github_emulator.state import ROLES, Installation

if TYPE_CHECKING:
    from infra.github_emulator.app import GitHubEmulator

_MAX_FORM = 16 * 1024
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Authorize {app} · GitHub</title></head><body><main>
<h1>Sign in to GitHub to continue to {app}</h1>{problem}
<form method="post" action="/login/oauth/authorize">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="state" value="{state}">
<p><label for="login">Username or email address</label>
<input id="login" name="login" autocomplete="username" value="{login}"></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit" name="authorize" value="1">Authorize {app}</button>
<button type="submit" name="cancel" value="1">Cancel</button></p>
</form></main></body></html>"""


def _emulator(request: Request) -> GitHubEmulator:
    return request.app.state.emulator  # type: ignore[no-any-return]


def _oauth(request: Request) -> OAuth:
    return _emulator(request).oauth


def _page(
    client: OAuthClient,
    emulator: GitHubEmulator,
    fields: dict[str, str],
    problem: str = "",
    status: int = 200,
) -> Response:
    app = emulator.world.apps.get(client.app_id)
    body = _PAGE.format(
        app=html.escape(app.name if app else client.client_id),
        problem=f'<p role="alert">{html.escape(problem)}</p>' if problem else "",
        **{
            k: html.escape(fields.get(k, ""), quote=True)
            for k in ("client_id", "redirect_uri", "state", "login")
        },
    )
    return HTMLResponse(body, status)


def _resolve(request: Request, fields: dict[str, str]) -> OAuthClient | Response:
    client = _oauth(request).client(fields.get("client_id", ""))
    if client is None:
        return HTMLResponse("<h1>Not Found</h1>", 404)
    redirect = fields.get("redirect_uri") or client.callback_url or ""
    if not _oauth(request).redirect_allowed(client, redirect):
        # GitHub shows this on its own page and never redirects to an unregistered URL.
        return HTMLResponse(
            "<h1>The redirect_uri is not associated with this application.</h1>", 400
        )
    fields["redirect_uri"] = redirect
    return client


async def authorize_page(request: Request) -> Response:
    fields = {k: v for k, v in request.query_params.items()}
    client = _resolve(request, fields)
    if isinstance(client, Response):
        return client
    return _page(client, _emulator(request), fields)


async def authorize_submit(request: Request) -> Response:
    raw = await request.body()
    if len(raw) > _MAX_FORM:
        return HTMLResponse("<h1>Request too large</h1>", 413)
    fields = dict(parse_qsl(raw.decode("utf-8", "replace")))
    client = _resolve(request, fields)
    if isinstance(client, Response):
        return client
    redirect, state = fields["redirect_uri"], fields.get("state", "")
    if fields.get("cancel"):
        reply = {
            "error": "access_denied",
            "state": state,
            "error_description": "The user has denied your application access.",
        }
        return RedirectResponse(_with_query(redirect, reply), 302)
    login = fields.get("login", "").strip()
    oauth, emulator = _oauth(request), _emulator(request)
    with emulator.world.lock:
        user = emulator.world.users.get(login.lower())
        if user is None or not oauth.check_password(login, fields.get("password", "")):
            return _page(client, emulator, fields, "Incorrect username or password.", 401)
        code = oauth.grant(client, user.login, redirect)
    return RedirectResponse(_with_query(redirect, {"code": code, "state": state}), 302)


async def access_token(request: Request) -> Response:
    raw = await request.body()
    if len(raw) > _MAX_FORM:
        return Response(b"", 413)
    fields: dict[str, Any]
    try:
        is_json = "json" in request.headers.get("content-type", "")
        fields = json.loads(raw) if is_json else dict(parse_qsl(raw.decode()))
    except (ValueError, UnicodeDecodeError):
        fields = {}
    fields = {**dict(request.query_params), **(fields if isinstance(fields, dict) else {})}
    emulator = _emulator(request)
    try:
        with emulator.world.lock:
            body: dict[str, Any] = emulator.oauth.exchange(
                emulator.world,
                str(fields.get("client_id", "")),
                str(fields.get("client_secret", "")),
                str(fields.get("code", "")),
                str(fields.get("redirect_uri", "")),
            )
    except OAuthError as exc:
        body = exc.body()  # GitHub answers these with 200, not 4xx
    if "json" in request.headers.get("accept", ""):
        return Response(json.dumps(body), 200, media_type="application/json; charset=utf-8")
    return Response(urlencode(body), 200, media_type="application/x-www-form-urlencoded")


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


# ----- REST: what a user access token reaches ---------------------------------------


def _user_app(ctx: Ctx) -> tuple[str, int]:
    require_user(ctx.identity)
    token = ctx.identity.token
    app_id = ctx.emulator.oauth.token_apps.get(token.value) if token else None
    if token is None or token.login is None or app_id is None:
        # GitHub: these endpoints need a user access token of a GitHub App.
        raise Forbidden("You must authenticate with an access token authorized to a GitHub App")
    return token.login, app_id


def _user_installations(ctx: Ctx, login: str, app_id: int) -> list[Installation]:
    # "installations … the authenticated user has explicit permission to access"
    return [
        inst
        for inst in ctx.world.installations.values()
        if inst.app_id == app_id and any(_role(ctx, login, r) for r in inst.repos)
    ]


def _role(ctx: Ctx, login: str, full_name: str) -> str | None:
    repo = ctx.world.repos.get(full_name.lower())
    return repo.role_of(login) if repo else None


def user_installations(ctx: Ctx) -> Reply:
    login, app_id = _user_app(ctx)
    found = [shapes_git.installation(ctx.world, i) for i in _user_installations(ctx, login, app_id)]
    page = ctx.page(found)
    page.body = {"total_count": len(found), "installations": page.body}
    return page


def user_installation_repositories(ctx: Ctx) -> Reply:
    login, app_id = _user_app(ctx)
    wanted = int(ctx.params["installation_id"])
    inst = next((i for i in _user_installations(ctx, login, app_id) if i.id == wanted), None)
    if inst is None:
        raise NotFound()
    repos = []
    for full in inst.repos:
        role = _role(ctx, login, full)
        if role is None:
            continue
        shape = shapes_repo.repository(ctx.world, ctx.world.repos[full.lower()])
        level = ROLES.index(role)
        shape["permissions"] = {
            "admin": level >= ROLES.index("admin"),
            "maintain": level >= ROLES.index("maintain"),
            "push": level >= ROLES.index("write"),
            "triage": level >= ROLES.index("triage"),
            "pull": True,
        }
        repos.append(shape)
    page = ctx.page(repos)
    page.body = {
        "total_count": len(repos),
        "repository_selection": "selected",
        "repositories": page.body,
    }
    return page


ROUTES = [
    Route("/login/oauth/authorize", authorize_page, methods=["GET"]),
    Route("/login/oauth/authorize", authorize_submit, methods=["POST"]),
    Route("/login/oauth/access_token", access_token, methods=["POST"]),
    Route("/user/installations", endpoint(user_installations), methods=["GET"]),
    Route(
        "/user/installations/{installation_id:int}/repositories",
        endpoint(user_installation_repositories),
        methods=["GET"],
    ),
]
