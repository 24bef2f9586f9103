"""Discovery: the agents table is what mDNS was in the original Bzzz.

Each runner writes its row at start (`register`), refreshes it on every
heartbeat, and deletes it on exit. The row's TTL (`expires_at`) is a few
heartbeats ahead, so a runner that dies silently drops out by itself; since
DynamoDB deletes expired rows lazily (up to days later on AWS), readers filter
on `expires_at` too: `live_agents(now)` is the liveness test, TTL only the
garbage collector.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bzzz.store.models import Agent


@dataclass(frozen=True)
class LiveAgent:
    agent_id: str
    models: tuple[str, ...]
    capabilities: tuple[str, ...]
    capacity: int
    current_tasks: tuple[str, ...]
    last_seen: float
    expires_at: float

    @property
    def spare(self) -> int:
        """Task slots not in use (reviews never use task slots, but busy peers review later)."""
        return max(0, self.capacity - len(self.current_tasks))


def register(
    agent_id: str,
    *,
    models: Iterable[str],
    capabilities: Iterable[str] = (),
    capacity: int = 1,
    current_tasks: Iterable[str] = (),
    ttl_seconds: float = 90.0,
    now: float | None = None,
) -> LiveAgent:
    """Write (or refresh) the agent's row; heartbeats call this again."""
    at = time.time() if now is None else now
    row = Agent(
        agent_id,
        capabilities=set(capabilities),
        models=set(models),
        capacity=capacity,
        current_tasks=sorted(current_tasks),
        last_seen=at,
        expires_at=datetime.fromtimestamp(at + ttl_seconds, tz=UTC),
    )
    row.save()
    return _live(row)


def deregister(agent_id: str) -> None:
    Agent(agent_id).delete()  # deleting a row already gone succeeds


def live_agents(now: float | None = None) -> list[LiveAgent]:
    """Every agent whose row has not expired at `now`, by id.

    A scan: the table holds one row per running runner, a handful to hundreds.
    """
    at = time.time() if now is None else now
    found = [_live(row) for row in Agent.scan(consistent_read=True)]
    return sorted((a for a in found if a.expires_at > at), key=lambda a: a.agent_id)


def live_peers(me: str, now: float | None = None) -> list[LiveAgent]:
    """The live agents other than `me`: who may review my plan or answer my help request."""
    return [agent for agent in live_agents(now) if agent.agent_id != me]


def _live(row: Agent) -> LiveAgent:
    expires = row.expires_at
    return LiveAgent(
        agent_id=str(row.agent_id),
        models=tuple(sorted(row.models or ())),
        capabilities=tuple(sorted(row.capabilities or ())),
        capacity=int(row.capacity),
        current_tasks=tuple(str(t) for t in row.current_tasks or ()),
        last_seen=float(row.last_seen),
        expires_at=expires.timestamp() if expires is not None else 0.0,
    )
