"""GitHub's primary rate limit: a budget per caller per window, in X-RateLimit-* headers."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Window:
    used: int = 0
    reset_at: float = 0.0


@dataclass
class RateLimiter:
    """One budget per caller (token owner, or the anonymous caller) per window.

    `status` is what a spent budget answers with: GitHub uses 403 for the primary
    limit and 429 for some secondary limits; both carry `Retry-After`.
    """

    limit: int = 5000
    window_seconds: float = 3600.0
    status: int = 403
    _preset_remaining: int | None = None
    _windows: dict[str, _Window] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(
        self,
        limit: int | None = None,
        remaining: int | None = None,
        window_seconds: float | None = None,
        status: int | None = None,
    ) -> None:
        """Change the budget; every caller starts a fresh window with `remaining` left."""
        with self._lock:
            if limit is not None:
                self.limit = limit
            if window_seconds is not None:
                self.window_seconds = window_seconds
            if status is not None:
                self.status = status
            self._windows.clear()
            self._preset_remaining = (
                None if remaining is None else max(0, min(remaining, self.limit))
            )

    def _window(self, key: str) -> _Window:
        window = self._windows.get(key)
        if window is None or window.reset_at <= time.time():
            preset = self._preset_remaining
            used = 0 if preset is None else self.limit - preset
            window = _Window(used=used, reset_at=time.time() + self.window_seconds)
            self._windows[key] = window
        return window

    def spend(self, key: str) -> bool:
        """Count one request; False (and nothing counted) when the budget is spent."""
        with self._lock:
            window = self._window(key)
            if window.used >= self.limit:
                return False
            window.used += 1
            return True

    def exhausted(self, key: str) -> bool:
        with self._lock:
            window = self._window(key)
            return window.used >= self.limit

    def headers(self, key: str) -> dict[str, str]:
        with self._lock:
            window = self._window(key)
            return {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(max(0, self.limit - window.used)),
                "X-RateLimit-Reset": str(math.ceil(window.reset_at)),
                "X-RateLimit-Used": str(window.used),
                "X-RateLimit-Resource": "core",
            }

    def retry_after(self, key: str) -> int:
        with self._lock:
            return max(1, math.ceil(self._window(key).reset_at - time.time()))

    def overview(self, key: str) -> dict[str, int]:
        with self._lock:
            window = self._window(key)
            return {
                "limit": self.limit,
                "remaining": max(0, self.limit - window.used),
                "reset": math.ceil(window.reset_at),
                "used": window.used,
            }
