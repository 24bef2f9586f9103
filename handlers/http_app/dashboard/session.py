"""Signed session cookies: who is signed in, what they may read and write, their CSRF token.

A cookie is `base64url(JSON payload) . base64url(HMAC-SHA256(key, payload))`, keyed
by the `dashboard_session_key` secret; it is HttpOnly, Secure and SameSite=Lax, and
carries its own expiry (checked here, not trusted to the browser). Every form that
changes something carries the payload's random `csrf` token, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from bzzz.dashboard import Access

COOKIE = "bzzz_session"
STATE_COOKIE = "bzzz_oauth_state"  # the web flow's `state`, for the ten minutes it lasts
LIFETIME_SECONDS = 8 * 3600  # a GitHub user access token's lifetime
STATE_SECONDS = 600
MAX_COOKIE = 3900  # bytes of the value: browsers keep cookies up to 4096 with name and flags


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: str, payload: dict[str, Any]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(key.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def unsign(key: str, value: str | None, now: float | None = None) -> dict[str, Any] | None:
    """The payload of a cookie this key signed and that has not expired; else None."""
    if not value or value.count(".") != 1 or len(value) > 8192:
        return None
    body, mac = value.split(".")
    expected = hmac.new(key.encode(), body.encode(), hashlib.sha256).digest()
    # Compared as signed, as text: decoded, a MAC whose last character differs only in
    # base64's unused low bits would pass, so one cookie would have several spellings.
    if not hmac.compare_digest(_b64(expected).encode(), mac.encode("utf-8", "replace")):
        return None
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        return None
    at = time.time() if now is None else now
    if not isinstance(payload, dict) or float(payload.get("exp", 0)) <= at:
        return None
    return payload


def new_session(access: Access, now: float | None = None) -> dict[str, Any]:
    at = time.time() if now is None else now
    return {
        "login": access.login,
        "operator": access.operator,
        "read": sorted(access.readable),
        "write": sorted(access.writable),
        "csrf": secrets.token_urlsafe(24),
        "exp": int(at + LIFETIME_SECONDS),
    }


def access_of(payload: dict[str, Any]) -> Access:
    return Access(
        login=str(payload.get("login", "")),
        operator=bool(payload.get("operator")),
        readable=frozenset(str(r) for r in payload.get("read", [])),
        writable=frozenset(str(r) for r in payload.get("write", [])),
    )


def csrf_ok(payload: dict[str, Any], presented: str | None) -> bool:
    expected = str(payload.get("csrf", ""))
    return bool(expected and presented) and hmac.compare_digest(expected, str(presented))


def cookie_options(max_age: int) -> dict[str, Any]:
    return {
        "max_age": max_age,
        "httponly": True,
        "secure": True,
        "samesite": "lax",
        "path": "/dashboard",
    }
