"""The task states of ARCHITECTURE.md and which transition leaves which state.

This is data only; `bzzz.tasks.lifecycle` turns each rule into one conditional write.

    queued --claim--> claimed --start--> running --complete--> completed
       ^                 |                  |  \\--fail-->        failed
       |                 |                  \\----escalate-->    escalated --requeue--> queued
       +--requeue (lease expired, attempt+1; past max -> failed)
    any active state --cancel--> cancelled
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Rule:
    """One transition: the states it may start from and the state it lands in."""

    name: str
    sources: frozenset[State]
    target: State
    # The lease owner must make this transition, within an unexpired lease.
    by_owner: bool
    # The message type the transition emits.
    message: str


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("claim", frozenset({State.QUEUED}), State.CLAIMED, False, "task.claimed"),
        Rule("heartbeat", LEASED, State.CLAIMED, True, "task.progress"),  # target unused
        Rule("start", frozenset({State.CLAIMED}), State.RUNNING, True, "task.progress"),
        Rule("complete", frozenset({State.RUNNING}), State.COMPLETED, True, "task.completed"),
        Rule("fail", LEASED, State.FAILED, True, "task.failed"),
        Rule("escalate", LEASED, State.ESCALATED, True, "task.escalated"),
        Rule("release", LEASED, State.QUEUED, True, "task.available"),
        Rule("requeue", LEASED | {State.ESCALATED}, State.QUEUED, False, "task.available"),
        Rule("cancel", ACTIVE, State.CANCELLED, False, "task.cancelled"),
    )
}
