"""The one mapping from an error to an HTTP status and a `{error, message, field}` body."""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.responses import JSONResponse

log = logging.getLogger("bzzz.http")
_REQUIRED = re.compile(r"'([^']+)' is a required property")


class HttpError(Exception):
    """A transport-level refusal (401, 413, 415, ...) raised by the HTTP layer itself."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.field = field
        self.headers = headers or {}


def describe(exc: BaseException) -> tuple[int, str, str | None]:
    """(status, error word, field) for any exception: the only place statuses are chosen."""
    # Imported here: the errors module is imported by every route, botocore is not cheap.
    from botocore.exceptions import BotoCoreError, ClientError

    from bzzz import credentials as c
    from bzzz import errors as e

    if isinstance(exc, HttpError):
        return exc.status, exc.error, exc.field
    if isinstance(exc, c.UnauthenticatedError):
        return 401, "unauthorized", "header authorization"
    if isinstance(exc, c.NotLeaseHolderError):
        return 403, "not_lease_holder", "task"
    if isinstance(exc, c.LeaseExpiredError):
        return 409, "lease_expired", "task"
    if isinstance(exc, c.TokenUnavailableError):
        return 503, "no_token", None
    if isinstance(exc, e.MessageError):
        return 422, "invalid_body", _required_field(exc.field, exc.problem)
    if isinstance(exc, e.NotFoundError | e.TaskNotFoundError):
        field = exc.field if isinstance(exc, e.InputError) else "task"
        return 404, "not_found", field
    if isinstance(exc, e.InputError):
        return 400, "bad_request", exc.field
    if isinstance(exc, e.LeaseLostError):
        return 409, "lease_lost", None
    if isinstance(exc, e.TransitionError):
        return 409, "conflict", None
    if isinstance(exc, e.ConfigError):
        return 503, "misconfigured", exc.variable
    if isinstance(exc, e.BusError | ClientError | BotoCoreError):
        return 503, "unavailable", None
    if isinstance(exc, e.GitHubError):
        return 502, "github_failed", None
    return 500, "internal", None


def _required_field(path: str, problem: str) -> str:
    """`$.agent_id` rather than `$` when the problem is a missing required property."""
    match = _REQUIRED.match(problem)
    return f"{path}.{match.group(1)}" if match else path


def error_response(exc: BaseException) -> JSONResponse:
    status, error, field = describe(exc)
    message = str(exc) if status < 500 or status == 503 else "internal error; see the logs"
    if status == 503 and error == "unavailable" and not isinstance(exc, HttpError):
        # Say what failed without echoing AWS request details to the caller.
        message = f"a backing service failed ({type(exc).__name__}); try again shortly"
    if status >= 500:
        log.error("answering %s for %s: %s", status, type(exc).__name__, exc, exc_info=exc)
    headers: dict[str, Any] = dict(getattr(exc, "headers", None) or {})
    if error == "unauthorized" and not headers:
        headers["WWW-Authenticate"] = 'Bzzz-Ed25519 realm="bzzz"'
    if status == 503:
        headers.setdefault("Retry-After", "5")
    return JSONResponse(
        {"error": error, "message": message, "field": field}, status, headers=headers
    )
