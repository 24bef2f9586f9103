"""The HTTP layer shared by every Ollama route: parse, run, record, answer.

A route handler gets the parsed JSON body and returns an `Outcome`; it never
sees a request or builds a response. Errors (`OllamaEmulatorError`) become
Ollama's `{"error": "..."}` with the error's status here, in one place, and
every exchange is logged before the (possibly delayed) answer goes out, so a
test sees the request even when its client gave up waiting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from infra.ollama_emulator.errors import OllamaEmulatorError, bad_request
from infra.ollama_emulator.state import EmulatorState


@dataclass
class Outcome:
    status: int = 200
    body: Any = None  # a JSON value, or str for text/plain
    chunks: list[dict[str, Any]] | None = None  # set: answer as an NDJSON stream
    delay: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)  # extra fields for the log


Handler = Callable[[EmulatorState, Any], Awaitable[Outcome]]


def error_outcome(error: OllamaEmulatorError) -> Outcome:
    return Outcome(status=error.status, body={"error": str(error)})


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        # Ollama decodes an empty body as EOF and says so.
        raise bad_request("EOF")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise bad_request(f"invalid JSON: {exc.msg}") from exc


async def serve(
    state: EmulatorState, request: Request, handler: Handler, *, has_body: bool = True
) -> Response:
    body: Any = None
    if state.faults.drops(request.url.path):
        state.log.add(
            {"method": request.method, "path": request.url.path, "status": 200, "dropped": True}
        )
        return _cut_off()
    try:
        if has_body:
            body = await read_json(request)
        outcome = await handler(state, body)
    except OllamaEmulatorError as error:
        outcome = error_outcome(error)
    except Exception as exc:  # a stand-in bug must reach the log and the client, not vanish
        outcome = Outcome(500, {"error": f"ollama emulator bug: {exc!r}"})
    record: dict[str, Any] = {
        "method": request.method,
        "path": request.url.path,
        "body": body,
        "status": outcome.status,
        "streamed": outcome.chunks is not None,
        **outcome.notes,
    }
    if outcome.chunks is not None:
        record["chunks"] = outcome.chunks
    else:
        record["response"] = outcome.body
    state.log.add(record)
    if outcome.delay:
        await asyncio.sleep(outcome.delay)
    return to_response(outcome)


class _CutOff(Exception):
    """Raised inside a streamed body: the server aborts the connection mid-answer."""


def quiet_cut_offs(record: logging.LogRecord) -> bool:
    """A logging filter for uvicorn's error log: a cut-off is the fault asked for, not a bug."""
    return not (record.exc_info and isinstance(record.exc_info[1], _CutOff))


def _cut_off() -> Response:
    async def partial() -> AsyncIterator[bytes]:
        yield b'{"model":"'
        raise _CutOff("the model host went away mid-answer (a fault switched on)")

    # A declared length the body never reaches: the client sees the answer break off.
    return StreamingResponse(
        partial(), status_code=200, media_type="application/json",
        headers={"content-length": "4096"},
    )  # fmt: skip


def to_response(outcome: Outcome) -> Response:
    if outcome.chunks is not None:
        chunks = outcome.chunks

        async def lines() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield (json.dumps(chunk, separators=(",", ":")) + "\n").encode()

        return StreamingResponse(
            lines(), status_code=outcome.status, media_type="application/x-ndjson"
        )
    if isinstance(outcome.body, str):
        return PlainTextResponse(outcome.body, status_code=outcome.status)
    return JSONResponse(outcome.body, status_code=outcome.status)
