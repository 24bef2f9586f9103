"""The one ASGI app: routes, the error handler, the OpenAPI document."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.http_app import api
from handlers.http_app.dashboard import ROUTES as DASHBOARD
from handlers.http_app.errors import HttpError, error_response
from handlers.http_app.openapi import document
from handlers.http_app.services import LazyServices, Services
from handlers.http_app.tokens import task_token
from handlers.http_app.webhook import github_webhook


async def openapi(request: Request) -> Response:
    return JSONResponse(document())


async def _error(request: Request, exc: Exception) -> Response:
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Starlette's own 404/405 come as HTTPException; give them our body shape.
    status = getattr(exc, "status_code", 500)
    word = {404: "not_found", 405: "method_not_allowed"}.get(status, "bad_request")
    return error_response(HttpError(status, word, str(getattr(exc, "detail", "")) or word))


def create_app(services: Services | None = None) -> Starlette:
    """The app; `services` are built from the environment on first use unless given."""
    routes = [
        Route("/github/webhook", github_webhook, methods=["POST"]),
        Route("/api/bzzz/active-repos", api.authorized(api.active_repos), methods=["GET"]),
        Route("/api/bzzz/projects/{id}/tasks", api.authorized(api.project_tasks), methods=["GET"]),
        Route("/api/bzzz/projects/{id}/claim", api.authorized(api.claim), methods=["POST"]),
        Route("/api/bzzz/projects/{id}/status", api.authorized(api.status), methods=["PUT"]),
        Route("/api/tasks", api.authorized(api.tasks), methods=["GET"]),
        # Before the bare key: a key is a path (it holds '/'), so order decides.
        Route("/api/tasks/{key:path}/token", task_token, methods=["POST"]),
        Route("/api/tasks/{key:path}/audit", api.authorized(api.task_audit), methods=["GET"]),
        Route("/api/tasks/{key:path}", api.authorized(api.task), methods=["GET"]),
        Route("/api/agents", api.authorized(api.agents), methods=["GET"]),
        Route("/health", api.health, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *DASHBOARD,  # /dashboard/…: server-rendered pages (handlers/http_app/dashboard)
    ]
    from starlette.exceptions import HTTPException

    app = Starlette(
        routes=routes, exception_handlers={HTTPException: _http_error, Exception: _error}
    )
    app.state.services = LazyServices(services)
    return app
