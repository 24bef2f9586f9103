"""What every task of one runner shares: settings, clients, HMMM, the display, health."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import docker

    from bzzz.audit import AuditLog
    from bzzz.config import Settings
    from bzzz.hmmm import Participant
    from bzzz.tasks.lifecycle import Lifecycle, Publisher
    from runner.agent.model import Model
    from runner.config import RunnerSettings
    from runner.credentials import Credentials
    from runner.worker.progress import TerminalDisplay


@dataclass
class WorkerContext:
    settings: Settings
    runner: RunnerSettings
    lifecycle: Lifecycle
    publisher: Publisher
    credentials: Credentials
    docker: docker.DockerClient
    model: Model
    display: TerminalDisplay
    participant: Participant | None = None  # HMMM: None when BZZZ_HMMM=off
    audit: AuditLog | None = None  # the runner's signed audit log (its own key)
    # Set when Ollama or the engine stops answering: no claims until both answer again.
    unhealthy: threading.Event = field(default_factory=threading.Event)

    @property
    def deployment(self) -> str:
        """The sandboxes' deployment label: which task table (at which endpoint) judges them."""
        where = self.settings.endpoint_url("dynamodb") or self.settings.region
        text = f"{self.settings.tasks_table}|{where}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def lease_holder(self, key: str) -> str | None:
        """The runner holding task `key`'s lease right now; None when nobody does."""
        from bzzz.tasks.states import LEASED, State

        task = self.lifecycle.get(key)
        if task is None or State(task.state) not in LEASED:
            return None
        if float(task.lease_expires_at) < time.time() or not task.lease_owner:
            return None
        return str(task.lease_owner)
