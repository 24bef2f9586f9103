"""Which models are "in memory", for /api/ps: loaded on use, unloaded when keep_alive says so."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from infra.ollama_emulator.scenario import ModelSpec

DEFAULT_KEEP_ALIVE = timedelta(minutes=5)
# Ollama reports a model kept forever (negative keep_alive) with a far-future expiry.
_FOREVER = timedelta(days=365 * 100)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def parse_keep_alive(value: Any) -> timedelta:
    """`5m`, `1h30m`, `10s`, a number of seconds; negative means forever, 0 unloads."""
    if value is None:
        return DEFAULT_KEEP_ALIVE
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _FOREVER if value < 0 else timedelta(seconds=value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return parse_keep_alive(float(text))
    parts = re.findall(r"(-?\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return DEFAULT_KEEP_ALIVE
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    return _FOREVER if seconds < 0 else timedelta(seconds=seconds)


class LoadedModels:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[ModelSpec, datetime, int]] = {}

    def touch(self, model: ModelSpec, keep_alive: Any, num_ctx: int) -> bool:
        """Record a use; returns whether this was a cold start (the model was not loaded)."""
        keep = parse_keep_alive(keep_alive)
        now = datetime.now(UTC)
        with self._lock:
            self._expire(now)
            cold = model.name not in self._loaded
            if keep == timedelta(0):
                self._loaded.pop(model.name, None)
            else:
                self._loaded[model.name] = (model, now + keep, num_ctx)
            return cold

    def running(self) -> list[tuple[ModelSpec, datetime, int]]:
        with self._lock:
            self._expire(datetime.now(UTC))
            return list(self._loaded.values())

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()

    def _expire(self, now: datetime) -> None:
        for name in [n for n, (_, until, _) in self._loaded.items() if until <= now]:
            del self._loaded[name]
