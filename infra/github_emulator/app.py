"""`GitHubEmulator`: the world, its webhooks and rate limit, and the Starlette app serving them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.github_emulator import (
    git_http,
    routes_admin,
    routes_apps,
    routes_comments,
    routes_dispatches,
    routes_issues,
    routes_oauth,
    routes_oidc,
    routes_pulls,
    routes_repos,
    routes_reviews,
)
from infra.github_emulator.contract import Exchange
from infra.github_emulator.errors import DOCS
from infra.github_emulator.faults import Faults
from infra.github_emulator.oauth import OAuth
from infra.github_emulator.oidc import Issuer
from infra.github_emulator.ratelimit import RateLimiter
from infra.github_emulator.rest import json_response
from infra.github_emulator.seed import build_world, load_seed
from infra.github_emulator.state import World
from infra.github_emulator.webhooks import Webhooks

Recorder = Callable[[Exchange], None]


class GitHubEmulator:
    """A GitHub stand-in. Build it with `from_seed`, serve `app` with any ASGI server.

    `recorder`, when given, sees every REST exchange (not the admin API, not git),
    which is how the tests hold every reply to GitHub's OpenAPI description.
    """

    def __init__(
        self, world: World, *, recorder: Recorder | None = None, webhook_senders: int = 1
    ) -> None:
        self.world = world
        # One sender keeps deliveries in order; more deliver in parallel, as GitHub does.
        self.webhooks = Webhooks(world.webhook, senders=webhook_senders)
        self.limiter = RateLimiter()
        self.faults = Faults()
        self.oidc = Issuer()  # Actions' OIDC issuer (routes_oidc)
        self.recorder = recorder
        self.oauth = OAuth()  # the web flow's clients and codes (oauth.py)
        self.app = self._build_app()

    @classmethod
    def from_seed(
        cls,
        seed: str | Path | dict[str, Any],
        *,
        recorder: Recorder | None = None,
        webhook_senders: int = 1,
    ) -> GitHubEmulator:
        data = load_seed(seed)
        emulator = cls(_world_from(data), recorder=recorder, webhook_senders=webhook_senders)
        emulator.oauth.load(data)
        budget = data.get("rate_limit") or {}
        emulator.limiter.configure(
            limit=budget.get("limit"),
            window_seconds=budget.get("window_seconds"),
            status=budget.get("status"),
        )
        return emulator

    def reseed(self, seed: str | Path | dict[str, Any], *, allow_import: bool = True) -> None:
        """Replace the world; the base URL, webhook record and rate limit are kept."""
        world = _world_from(seed, allow_import=allow_import)
        self.oauth.load(load_seed(seed))
        with self.world.lock:
            old_root, world.base_url = self.world.root, self.world.base_url
            self.world = world
            self.webhooks.config = world.webhook
        shutil.rmtree(old_root, ignore_errors=True)

    def close(self) -> None:
        self.webhooks.close()
        shutil.rmtree(self.world.root, ignore_errors=True)

    def _build_app(self) -> ASGIApp:
        routes = [
            *routes_admin.ROUTES,
            *routes_apps.ROUTES,
            *routes_repos.ROUTES,
            *routes_issues.ROUTES,
            *routes_comments.ROUTES,
            *routes_pulls.ROUTES,
            *routes_reviews.ROUTES,
            *routes_dispatches.ROUTES,
            *routes_oauth.ROUTES,
            *git_http.ROUTES,
            *routes_oidc.ROUTES,
        ]
        app = Starlette(
            routes=routes,
            exception_handlers={HTTPException: _github_http_error},  # type: ignore[dict-item]
        )
        app.state.emulator = self
        return _Recording(app, self)


def _world_from(seed: str | Path | dict[str, Any], *, allow_import: bool = True) -> World:
    data = load_seed(seed)
    root = Path(tempfile.mkdtemp(prefix="github-emulator-"))
    try:
        return build_world(data, root, allow_import=allow_import)
    except BaseException:
        # A refused seed leaves no bare repositories behind.
        shutil.rmtree(root, ignore_errors=True)
        raise


async def _github_http_error(request: Request, exc: HTTPException) -> Response:
    # Starlette's own 404/405 are plain text; GitHub answers JSON everywhere.
    message = "Not Found" if exc.status_code == 404 else str(exc.detail)
    body = {"message": message, "documentation_url": DOCS, "status": str(exc.status_code)}
    return json_response(body, exc.status_code, {})


class _Recording:
    """ASGI middleware handing each REST exchange to the emulator's recorder."""

    def __init__(self, app: Starlette, emulator: GitHubEmulator) -> None:
        self.inner = app
        self.emulator = emulator

    @property
    def state(self) -> Any:
        return self.inner.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        recorder = self.emulator.recorder
        path = scope.get("path", "")
        if scope["type"] != "http" or recorder is None or _not_rest(path):
            await self.inner(scope, receive, send)
            return
        status, headers, chunks = 0, {}, []
        query = scope.get("query_string", b"").decode()

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    # Recorded before the last byte leaves, so that a client which has
                    # its reply always finds the exchange in the record.
                    recorder(
                        Exchange(
                            method=scope["method"],
                            path=path + (f"?{query}" if query else ""),
                            status=status,
                            headers=headers,
                            body=b"".join(chunks),
                        )
                    )
            await send(message)

        await self.inner(scope, receive, capture)


def _not_rest(path: str) -> bool:
    # /login/oauth/ is github.com's web flow, not REST (routes_oauth.py).
    return (
        path.startswith(("/_emulator/", "/login/oauth/", *routes_oidc.NOT_REST)) or ".git/" in path
    )
