"""A webhook delivery parsed into what routing needs: id, name, action and payload."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bzzz.errors import InputError

EVENT_HEADER = "x-github-event"
DELIVERY_HEADER = "x-github-delivery"
SIGNATURE_HEADER = "x-hub-signature-256"
REQUIRED_HEADERS = (EVENT_HEADER, DELIVERY_HEADER)


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    name: str
    action: str | None
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        """`name.action`, or `name` for events without an action (push, ping)."""
        return f"{self.name}.{self.action}" if self.action else self.name


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (Lambda events and ASGI disagree on case)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value.strip() if value is not None else None


def parse(headers: Mapping[str, str], body: bytes) -> WebhookEvent:
    """Parse a delivery; raise InputError naming the missing header or the bad body."""
    found = {name: header(headers, name) for name in REQUIRED_HEADERS}
    for name, value in found.items():
        if not value:
            raise InputError(f"header {name}", "missing")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("body", f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InputError("body", "must be a JSON object")
    action = payload.get("action")
    return WebhookEvent(
        id=str(found[DELIVERY_HEADER]),
        name=str(found[EVENT_HEADER]),
        action=action if isinstance(action, str) and action else None,
        payload=payload,
    )
