"""Templates (Jinja2, autoescaped: every string on a page came from GitHub, a model or a
person) and the ETag/If-None-Match reply the pages' polling script relies on."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

HERE = Path(__file__).parent
STATIC = HERE / "static"
# Text and an icon for every state: told apart without colour (docs/dashboard.md).
STATE_ICONS = {
    "queued": "○",
    "claimed": "◔",
    "running": "▶",
    "escalated": "⚑",
    "completed": "✓",
    "failed": "✗",
    "cancelled": "⊘",
}


def _age(seconds: float) -> str:
    # Whole minutes at best: a part whose ages tick every second would never answer 304.
    s = int(seconds)
    if s < 60:
        return "<1m"
    if s < 5400:
        return f"{s // 60}m"
    if s < 172800:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def _window(seconds: int) -> str:
    return f"{seconds // 60} minutes" if seconds < 3600 else f"{seconds // 3600} h"


def _when(epoch_ms: float) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@cache
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters.update(age=_age, when=_when, clock=_clock, duration=_duration, window=_window)
    env.globals.update(state_icons=STATE_ICONS)
    return env


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """Render; a `?fragment=1` poll gets the part only, 304 when its ETag is unchanged."""
    fragment = request.query_params.get("fragment") == "1"
    name = f"_{template}" if fragment else template
    body = environment().get_template(name).render(request=request, **context).encode()
    headers = {
        "Cache-Control": "private, no-cache",
        "Vary": "Cookie",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    }
    if status == 200:
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers["ETag"] = etag
        if request.headers.get("if-none-match") == etag:
            return Response(b"", 304, headers=headers)
    return HTMLResponse(body, status, headers=headers)
