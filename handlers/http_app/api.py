"""The Hive-compatible API, our task and agent listings, and /health: thin adapters."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from handlers.http_app.auth import before_auth, require_api_key
from handlers.http_app.errors import HttpError
from handlers.http_app.services import LazyServices, Services
from handlers.http_app.webhook import read_body, require_json

# Request bodies of this API are a few hundred bytes; 64 KiB is plenty.
MAX_API_BODY = 64 * 1024

Endpoint = Callable[[Request], Awaitable[Response]]


def authorized(call: Callable[[Request, Services], Any]) -> Endpoint:
    """Check the API key, then run `call` (blocking: DynamoDB) off the event loop."""

    async def endpoint(request: Request) -> Response:
        lazy: LazyServices = request.app.state.services
        services = await run_in_threadpool(before_auth, lazy.get)
        await run_in_threadpool(require_api_key, request, services)
        result = await call_with_body(call, request, services)
        return JSONResponse(result)

    endpoint.__name__ = call.__name__
    endpoint.__doc__ = call.__doc__
    return endpoint


async def call_with_body(
    call: Callable[[Request, Services], Any], request: Request, services: Services
) -> Any:
    if request.method in ("POST", "PUT"):
        require_json(request)
        raw = await read_body(request, MAX_API_BODY)
        try:
            request.state.body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HttpError(400, "bad_request", f"body is not JSON: {exc}", "body") from exc
    return await run_in_threadpool(call, request, services)


def validated(request: Request, schema: str) -> dict[str, Any]:
    from bzzz.schemas import validate

    body = request.state.body
    validate(schema, body)
    return dict(body)


def project_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or not 0 < int(raw) < 2**53:
        raise HttpError(400, "bad_request", f"project id {raw!r} is not a number", "id")
    return int(raw)


def active_repos(request: Request, services: Services) -> Any:
    return services.hive.active_repos()


def project_tasks(request: Request, services: Services) -> Any:
    return services.hive.project_tasks(project_id(request))


def claim(request: Request, services: Services) -> Any:
    body = validated(request, "hive-claim.json")
    return services.hive.claim(project_id(request), body)


def status(request: Request, services: Services) -> Any:
    body = validated(request, "hive-status.json")
    return services.hive.report_status(project_id(request), body)


def tasks(request: Request, services: Services) -> Any:
    return services.hive.tasks(request.query_params.get("state"))


def task(request: Request, services: Services) -> Any:
    # The key holds '/' and '#': clients send it URL-encoded (acme%2Fcalc%231).
    return services.hive.task(unquote(request.path_params["key"]))


def task_audit(request: Request, services: Services) -> Any:
    return services.hive.task_audit(unquote(request.path_params["key"]))


def agents(request: Request, services: Services) -> Any:
    return services.hive.agents()


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "service": "bzzz"})
