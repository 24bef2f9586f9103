"""The API key every route but the webhook and /health requires."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from handlers.http_app.errors import HttpError
from handlers.http_app.services import Services


def presented_key(request: Request) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key", "").strip() or None


def require_api_key(request: Request, services: Services) -> None:
    """401 unless the request carries the configured key (compared in constant time).

    With no key configured the API refuses everyone (503) rather than open up.
    """
    expected = services.secrets.require("api_key")
    given = presented_key(request)
    if given is None:
        raise HttpError(
            401,
            "unauthorized",
            "an API key is required (Authorization: Bearer or X-API-Key)",
            "header authorization",
            {"WWW-Authenticate": 'Bearer realm="bzzz"'},
        )
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HttpError(
            401,
            "unauthorized",
            "the API key is wrong",
            "header authorization",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
