"""The runner's row in the agents table: written at start, refreshed by heartbeats, removed on exit.

The row's TTL (`expires_at`) is a few heartbeats ahead, so a runner that dies
without deregistering disappears from the table on its own. DynamoDB's TTL
deletion is lazy (up to days on AWS), which is why readers also compare
`last_seen`; the TTL is the garbage collector, not the liveness test.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from bzzz.audit import RESERVED_AUTHORS
from bzzz.store.models import Agent
from runner.errors import RunnerStartError

log = logging.getLogger(__name__)

HEARTBEATS_PER_TTL = 3


class Registration:
    def __init__(
        self,
        agent_id: str,
        *,
        capabilities: Iterable[str],
        models: Iterable[str],
        capacity: int,
        heartbeat_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if agent_id in RESERVED_AUTHORS:
            # The audit log trusts this name's entries by a key pinned at deploy; an agent
            # under it could claim as the control plane and confuse every reader.
            raise RunnerStartError(
                f"BZZZ_RUNNER_ID {agent_id!r} is reserved for the control plane; choose another"
            )
        self.agent_id = agent_id
        self._capabilities = set(capabilities)
        self._models = set(models)
        self._capacity = capacity
        self._ttl = max(heartbeat_seconds * HEARTBEATS_PER_TTL, 30.0)
        self._clock = clock

    def register(self, current_tasks: Iterable[str] = ()) -> Agent:
        now = self._clock()
        row = Agent(
            self.agent_id,
            capabilities=self._capabilities,
            models=self._models,
            capacity=self._capacity,
            current_tasks=sorted(current_tasks),
            last_seen=now,
            expires_at=datetime.fromtimestamp(now + self._ttl, tz=UTC),
        )
        row.save()
        return row

    def heartbeat(self, current_tasks: Iterable[str]) -> None:
        """Refresh the row; a row lost meanwhile (TTL, an operator) is written again."""
        try:
            self.register(current_tasks)
        except Exception as exc:  # the control plane being away must not stop the work
            log.warning("agent heartbeat of %s failed: %s", self.agent_id, exc)

    def deregister(self) -> None:
        try:
            Agent(self.agent_id).delete()
        except Exception as exc:
            log.warning("removing agent row %s failed: %s", self.agent_id, exc)
