"""POST /github/webhook: the transport rules, then one call into `bzzz.intake.handling`.

Order of refusals: wrong content type (415), body over the limit (413), bad
or missing signature (401, checked on the raw bytes before anything is
parsed), missing GitHub headers or a body that is not a JSON object (400).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from handlers import observability as obs
from handlers.http_app.auth import before_auth
from handlers.http_app.errors import HttpError
from handlers.http_app.services import LazyServices

# API Gateway base64-encodes a JSON body for Lambda, and a synchronous Lambda
# payload is capped at 6 MB: 4 MiB is about the largest body that can arrive
# at all in AWS, so locally we refuse beyond it the same way. GitHub caps its
# payloads at 25 MB, but issue and comment events stay far below this.
MAX_BODY_BYTES = 4 * 1024 * 1024
JSON_TYPES = ("application/json",)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused with 413 past `limit` (before reading, when the length is declared)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, "too_large", f"body over {limit} bytes", "body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpError(413, "too_large", f"body over {limit} bytes", "body")
        chunks.append(chunk)
    return b"".join(chunks)


def require_json(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in JSON_TYPES:
        raise HttpError(
            415,
            "unsupported_media_type",
            f"content type {media or '(none)'!r}: set the webhook's content type to "
            "application/json",
            "header content-type",
        )


def _task_of(payload: dict[str, Any]) -> str | None:
    """The task key to log with, when the payload names one (any shape may arrive)."""
    repo, issue = payload.get("repository"), payload.get("issue")
    name = repo.get("full_name") if isinstance(repo, dict) else None
    number = issue.get("number") if isinstance(issue, dict) else None
    return f"{name}#{number}" if isinstance(name, str) and isinstance(number, int) else None


def _handler_seconds(request: Request) -> float:
    """How long this invocation may still run: Lambda's context says (Mangum hands it over
    as `aws.context`); under uvicorn, the template's function timeout."""
    from bzzz.intake.deliveries import HANDLER_SECONDS

    context = request.scope.get("aws.context")
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            return max(float(remaining()) / 1000.0, 0.0)
        except (TypeError, ValueError):
            pass  # a context of another shape: fall back to the configured bound
    return HANDLER_SECONDS


async def github_webhook(request: Request) -> Response:
    from bzzz.webhooks import parse, verify

    lazy: LazyServices = request.app.state.services
    require_json(request)
    body = await read_body(request)
    services = await run_in_threadpool(before_auth, lazy.get)
    secret = await run_in_threadpool(before_auth, services.secrets.require, "webhook_secret")
    if not verify(secret, body, request.headers.get("x-hub-signature-256")):
        raise HttpError(
            401, "bad_signature", "X-Hub-Signature-256 is missing or wrong", "header signature"
        )
    event = parse(request.headers, body)
    obs.bind(delivery=event.id, task=_task_of(event.payload), event=event.key)
    try:
        obs.count(obs.DELIVERIES)
        outcome = await run_in_threadpool(services.intake.handle, event, _handler_seconds(request))
        if outcome.created:
            obs.count(obs.TASKS_CREATED)
        words = {200: "handled", 202: "ignored", 409: "busy"}
        obs.logger().info("delivery %s: %s", outcome.status, outcome.reason)
        retry = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
        return JSONResponse(
            {
                "delivery": event.id,
                "event": event.key,
                "outcome": words.get(outcome.status, "handled"),
                "reason": outcome.reason,
                "task": outcome.task,
            },
            outcome.status,
            headers=retry,
        )
    finally:
        obs.flush()
        obs.unbind("delivery", "task", "event")
