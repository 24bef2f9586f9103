"""Keeping a task's lease while it is worked on, and noticing at once when it is gone.

A thread heartbeats the lease every `every` seconds. The first refusal
(LeaseLostError: another runner took the task over after our lease expired,
or the task was cancelled) sets `lost` and calls `on_lost`, which stops the
agent and its sandbox; the worker then throws the work away and pushes
nothing. A heartbeat that fails for another reason (the table briefly
unreachable) is retried at the next tick: the lease is longer than three
ticks, so one failure does not lose it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bzzz.errors import LeaseLostError, TransitionError
from bzzz.tasks.lifecycle import Lifecycle

log = logging.getLogger(__name__)


class TaskStopped(Exception):  # control flow: raised into the agent's loop
    """The task must stop now (lease lost, or the runner shutting down)."""


class LeaseKeeper:
    def __init__(
        self,
        lifecycle: Lifecycle,
        key: str,
        agent: str,
        *,
        every: float,
        on_lost: Callable[[str], None],
    ) -> None:
        self._lifecycle = lifecycle
        self._key = key
        self._agent = agent
        self._every = every
        self._on_lost = on_lost
        self._stop = threading.Event()
        self.lost: str | None = None
        self._thread = threading.Thread(target=self._loop, name=f"lease {key}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._lifecycle.heartbeat(self._key, self._agent)
            except LeaseLostError as exc:
                self._lose(f"lease lost: {exc.reason} (now {exc.state}, owner {exc.owner})")
                return
            except TransitionError as exc:  # e.g. cancelled: not ours to work on any more
                self._lose(f"task taken away: {exc}")
                return
            except Exception as exc:
                log.warning("%s: lease heartbeat failed, retrying: %s", self._key, exc)

    def _lose(self, reason: str) -> None:
        self.lost = reason
        log.warning("%s: %s; stopping the task and discarding its work", self._key, reason)
        self._on_lost(reason)
