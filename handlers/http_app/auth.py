"""The API key every route but the webhook, the token route and /health requires.

Until a caller has authenticated, no failure may tell it how the control plane
is configured (which variable or secret is missing, which table failed):
`before_auth` turns such a failure into a bare 503 and logs the detail.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable

from starlette.requests import Request

from handlers.http_app.errors import HttpError
from handlers.http_app.services import Services

log = logging.getLogger("bzzz.http")
NOT_READY = "the control plane cannot serve this request now; try again later"


def before_auth[T](call: Callable[..., T], *args: object) -> T:
    """Run `call`; any failure but our own refusal becomes a 503 that names nothing."""
    try:
        return call(*args)
    except HttpError:
        raise
    except Exception as exc:
        log.error("before authentication: %s: %s", type(exc).__name__, exc, exc_info=exc)
        raise HttpError(503, "unavailable", NOT_READY, None, {"Retry-After": "5"}) from exc


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
    expected = before_auth(services.secrets.require, "api_key")
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
