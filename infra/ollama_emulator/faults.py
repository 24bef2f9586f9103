"""Faults of the model endpoint, switched on through the admin routes: the host going away
mid-answer, as a GPU box that reboots or an Ollama that crashes does.

    PUT /_emulator/faults  {"drop": true, "seconds": 10, "paths": ["/api/chat"]}
    DELETE /_emulator/faults

While a drop is on, a completion request is answered with a 200 and the first bytes of
its body, then the connection is cut: the client sees the answer break off (httpx's
RemoteProtocolError: incomplete body), not a clean error status.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

DEFAULT_PATHS = ("/api/chat", "/api/generate", "/v1/chat/completions")


@dataclass
class DropFault:
    until: float  # monotonic time
    paths: tuple[str, ...] = DEFAULT_PATHS
    dropped: int = 0


@dataclass
class ModelFaults:
    _drop: DropFault | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, body: Any) -> DropFault:
        if not isinstance(body, dict) or body.get("drop") is not True:
            raise ValueError('a fault is {"drop": true, "seconds": N, "paths": [...]}')
        seconds = body.get("seconds", 3600)
        if not isinstance(seconds, int | float) or seconds <= 0:
            raise ValueError("seconds must be a positive number")
        paths = body.get("paths", list(DEFAULT_PATHS))
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("paths must be a list of strings")
        with self._lock:
            self._drop = DropFault(time.monotonic() + float(seconds), tuple(paths))
            return self._drop

    def clear(self) -> int:
        with self._lock:
            dropped = self._drop.dropped if self._drop else 0
            self._drop = None
            return dropped

    def drops(self, path: str) -> bool:
        """True if this request is to be cut off (and counted)."""
        with self._lock:
            drop = self._drop
            if drop is None or time.monotonic() >= drop.until or path not in drop.paths:
                return False
            drop.dropped += 1
            return True

    def summary(self) -> dict[str, Any]:
        with self._lock:
            drop = self._drop
            if drop is None:
                return {"drop": False}
            left = max(0.0, drop.until - time.monotonic())
            return {"drop": left > 0, "seconds_left": round(left, 1), "paths": list(drop.paths),
                    "dropped": drop.dropped}  # fmt: skip
