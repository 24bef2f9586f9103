"""POST /api/tasks/{key}/token: a repository token for the runner that holds the task's lease.

Authenticated by the runner's signature (bzzz.credentials.signing), not by the
API key: runners never hold the API key, and the signature names the one
runner whose lease is checked. The reply is never cached.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from handlers.http_app.auth import before_auth
from handlers.http_app.services import LazyServices


async def task_token(request: Request) -> Response:
    lazy: LazyServices = request.app.state.services
    services = await run_in_threadpool(before_auth, lazy.get)
    key = unquote(request.path_params["key"])
    vended = await run_in_threadpool(
        services.vendor.vend, key, request.headers.get("authorization")
    )
    body = {
        "token": vended.token,
        "expires_at": vended.expires_at,
        "repository": vended.repo,
        "permissions": vended.permissions,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
