"""Progress of a task: `task.progress` messages (rate-limited) and a live terminal line.

The status sync edits one issue comment per message, so a chatty agent must
not turn into a comment edit per command: a step is published only when the
previous one is at least `interval` seconds old; steps in between update the
terminal only. The terminal display is a single line rewritten in place that
shows every task in flight; it is off when stderr is not a terminal.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, TextIO

from bzzz.messages import Envelope, MessageType
from bzzz.tasks.lifecycle import Publisher

log = logging.getLogger(__name__)


class TerminalDisplay:
    """One status line for the whole runner, rewritten with a carriage return."""

    def __init__(self, stream: TextIO = sys.stderr, enabled: bool = True) -> None:
        self._stream = stream
        self._enabled = enabled
        self._lines: dict[str, str] = {}
        self._lock = threading.Lock()

    def show(self, key: str, text: str) -> None:
        with self._lock:
            self._lines[key] = text
            self._draw()

    def done(self, key: str, text: str) -> None:
        """Print the task's last line for good and drop it from the live line."""
        with self._lock:
            self._lines.pop(key, None)
            if self._enabled:
                self._stream.write(f"\r\x1b[2K{key}: {text}\n")
            self._draw()

    def _draw(self) -> None:
        if not self._enabled:
            return
        line = " | ".join(f"{key} {text}" for key, text in self._lines.items())
        self._stream.write(f"\r\x1b[2K{line[:200]}")
        self._stream.flush()


class ProgressReporter:
    """The progress of one task; `step` is the agent's on_step callback."""

    def __init__(
        self,
        publisher: Publisher,
        sender: str,
        task_key: str,
        *,
        interval: float,
        display: TerminalDisplay,
        clock: Any = time.monotonic,
    ) -> None:
        self._publisher = publisher
        self._sender = sender
        self._key = task_key
        self._interval = interval
        self._display = display
        self._clock = clock
        self._last_sent: float | None = None
        self.published = 0

    def stage(self, text: str) -> None:
        self._display.show(self._key, text)

    def step(self, step: Any) -> None:
        command = str(step.action or "")
        code = step.exit_code
        self._display.show(
            self._key, f"#{step.iteration} {command[:60]!r} -> {code} ({step.elapsed:.0f}s)"
        )
        now = self._clock()
        if self._last_sent is not None and now - self._last_sent < self._interval:
            return
        self._last_sent = now
        data: dict[str, Any] = {
            "state": "running",
            "stage": "working",
            "iteration": int(step.iteration),
            "command": command[:2000],
            "exit_code": code if isinstance(code, int) else None,
        }
        try:
            self._publisher.publish(
                Envelope(
                    type=MessageType.TASK_PROGRESS, sender=self._sender, task=self._key, data=data
                )
            )
            self.published += 1
        except Exception as exc:  # progress is best effort: never stop the task for it
            log.warning("%s: progress not published: %s", self._key, exc)

    def finish(self, text: str) -> None:
        self._display.done(self._key, text)
