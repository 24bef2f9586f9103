"""The task states of ARCHITECTURE.md; which rule leaves which state is `bzzz.tasks.rules`."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    ESCALATED = "escalated"
    CANCELLED = "cancelled"


LEASED = frozenset({State.CLAIMED, State.RUNNING})
TERMINAL = frozenset({State.COMPLETED, State.FAILED, State.CANCELLED})
ACTIVE = frozenset(State) - TERMINAL
