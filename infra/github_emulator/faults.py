"""Injected faults: for a while, GitHub answers 5xx or a secondary rate limit.

    PUT /_emulator/faults {"status": 502, "seconds": 10}
    PUT /_emulator/faults {"status": 429, "seconds": 5, "retry_after": 2,
                           "methods": ["POST", "PATCH"], "path_contains": "/comments"}
    DELETE /_emulator/faults

What GitHub does in an incident or when a client is too fast: a 5xx (500, 502,
503: `{"message": "Server Error"}`), or a secondary rate limit (403 or 429 with
`Retry-After` and the message GitHub's docs show). A faulted request never
reaches its handler and spends no primary rate limit. REST only: git over HTTP
and `/_emulator/` are never faulted. Several faults may be set at once; each
ends by itself after `seconds`. `GET /_emulator/faults` says how many requests
each has answered.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from infra.github_emulator.errors import EmulatorError

SECONDARY_DOCS = (
    "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
STATUSES = frozenset({403, 429, 500, 502, 503, 504})


@dataclass
class Fault:
    status: int
    until: float  # time.monotonic()
    retry_after: int | None = None
    methods: frozenset[str] | None = None
    path_contains: str | None = None
    answered: int = 0

    def matches(self, method: str, path: str, now: float) -> bool:
        if now >= self.until:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.path_contains is None or self.path_contains in path

    def reply(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        if self.status in (403, 429):
            headers = {"Retry-After": str(self.retry_after or 1)}
            return (
                {"message": SECONDARY_MESSAGE, "documentation_url": SECONDARY_DOCS},
                self.status,
                headers,
            )
        return {"message": "Server Error"}, self.status, {}

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "seconds_left": max(0.0, round(self.until - time.monotonic(), 1)),
            "retry_after": self.retry_after,
            "methods": sorted(self.methods) if self.methods else None,
            "path_contains": self.path_contains,
            "answered": self.answered,
        }


@dataclass
class Faults:
    active: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: dict[str, Any]) -> Fault:
        """A fault from the admin call's JSON; EmulatorError names a bad field."""
        status = body.get("status")
        if status not in STATUSES:
            raise EmulatorError(f"status: one of {sorted(STATUSES)}, got {status!r}")
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or seconds <= 0:
            raise EmulatorError(f"seconds: a positive number, got {seconds!r}")
        retry_after = body.get("retry_after")
        if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
            raise EmulatorError(f"retry_after: whole seconds, got {retry_after!r}")
        methods = body.get("methods")
        if methods is not None and not (
            isinstance(methods, list) and all(isinstance(m, str) for m in methods)
        ):
            raise EmulatorError(f"methods: a list of HTTP methods, got {methods!r}")
        path = body.get("path_contains")
        if path is not None and not isinstance(path, str):
            raise EmulatorError(f"path_contains: a string, got {path!r}")
        fault = Fault(
            status=int(status),
            until=time.monotonic() + float(seconds),
            retry_after=retry_after,
            methods=None if methods is None else frozenset(m.upper() for m in methods),
            path_contains=path,
        )
        with self._lock:
            self.active.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.active.clear()

    def match(self, method: str, path: str) -> Fault | None:
        now = time.monotonic()
        with self._lock:
            for fault in self.active:
                if fault.matches(method, path, now):
                    fault.answered += 1
                    return fault
        return None

    def summary(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.summary() for fault in self.active]
