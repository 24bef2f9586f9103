"""The Starlette app: Ollama's routes, the health check, and the admin routes under /_emulator."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from infra.ollama_emulator import completion_routes, model_bodies, openai_routes
from infra.ollama_emulator.errors import (
    OllamaEmulatorError,
    ScenarioError,
    bad_request,
    show_model_not_found,
)
from infra.ollama_emulator.exchange import Handler, Outcome, read_json, serve
from infra.ollama_emulator.scenario import Scenario
from infra.ollama_emulator.state import EmulatorState

ADMIN_PREFIX = "/_emulator"


async def _health(_state: EmulatorState, _body: Any) -> Outcome:
    return Outcome(body="Ollama is running")


async def _tags(state: EmulatorState, _body: Any) -> Outcome:
    return Outcome(body=model_bodies.tags_body(state.scenario))


async def _ps(state: EmulatorState, _body: Any) -> Outcome:
    return Outcome(body=model_bodies.ps_body(state.loaded.running()))


async def _version(state: EmulatorState, _body: Any) -> Outcome:
    return Outcome(body=model_bodies.version_body(state.scenario))


async def _show(state: EmulatorState, body: Any) -> Outcome:
    # Older clients send `name`; Ollama still accepts it.
    name = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
    if not name:
        raise bad_request("model is required")
    model = state.scenario.model(name)
    if model is None:
        raise show_model_not_found(name)
    return Outcome(body=model_bodies.show_body(model))


def _ollama_routes(state: EmulatorState) -> list[Route]:
    def route(path: str, handler: Handler, method: str, has_body: bool) -> Route:
        async def endpoint(request: Request) -> Response:
            return await serve(state, request, handler, has_body=has_body)

        return Route(path, endpoint, methods=[method])

    return [
        # GET also answers HEAD: clients probe `HEAD /` as a health check.
        route("/", _health, "GET", False),
        route("/api/version", _version, "GET", False),
        route("/api/tags", _tags, "GET", False),
        route("/api/ps", _ps, "GET", False),
        route("/api/show", _show, "POST", True),
        route("/api/chat", completion_routes.chat, "POST", True),
        route("/api/generate", completion_routes.generate, "POST", True),
        # The OpenAI-compatible API Ollama serves beside its own (openai_routes.py).
        route("/v1/models", openai_routes.models, "GET", False),
        route("/v1/chat/completions", openai_routes.chat_completions, "POST", True),
    ]


def _admin_routes(state: EmulatorState) -> list[Route]:
    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            state.log.clear()
            return Response(status_code=204)
        return JSONResponse({"requests": state.log.all()})

    async def scenario(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(state.scenario.source)
        try:
            state.replace(Scenario.from_dict(await read_json(request)))
        except ScenarioError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"models": [m.name for m in state.scenario.models]})

    async def reset(_request: Request) -> Response:
        state.reset()
        return Response(status_code=204)

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"dropped": state.faults.clear()})
        if request.method == "GET":
            return JSONResponse(state.faults.summary())
        try:
            state.faults.set(await read_json(request))
        except (ValueError, OllamaEmulatorError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(state.faults.summary())

    return [
        Route(f"{ADMIN_PREFIX}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/scenario", scenario, methods=["GET", "PUT"]),
        Route(f"{ADMIN_PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/faults", faults, methods=["GET", "PUT", "DELETE"]),
    ]


async def _not_found(_request: Request, exc: Exception) -> Response:
    # Ollama's router (gin) answers unknown paths and methods in plain text.
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    text = "405 method not allowed" if status == 405 else "404 page not found"
    return PlainTextResponse(text, status_code=status)


def create_app(scenario: Scenario) -> Starlette:
    """An ASGI app serving `scenario`; its state is reachable as `app.state.emulator`."""
    state = EmulatorState(scenario)
    app = Starlette(
        routes=_ollama_routes(state) + _admin_routes(state),
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.emulator = state
    return app
