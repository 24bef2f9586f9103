"""The local supervisor: what AWS runs for the control plane's functions, in one process.

| in AWS                                  | here                                         |
| --------------------------------------- | -------------------------------------------- |
| API Gateway HTTP API → HttpFunction     | the same ASGI app under uvicorn              |
| EventBridge Scheduler → ReconcileFunction | `Reconciler.run()` on a timer              |
|   (its first step: due review rounds)   | `Reconciler.fire_rounds()` on a short timer  |
| status queue → StatusSyncFunction       | `Bus.drain_by_task("status", StatusSync.handle_task)` |
| escalation queue + schedule → EscalationFunction | `escalate_now()`: drain, sweep, orphans  |

The app is made by `app_factory(settings)` (default: handlers.http_app's
`create_app`), so a caller can serve another app or none. `reconcile_now()`
and `drain_now()` run one round on the caller's thread, which is what tests
and the demo use to move things along without waiting for a timer.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bzzz.bus import Bus, DrainResult
    from bzzz.config import Settings
    from bzzz.escalation.handler import Escalations
    from bzzz.reconcile.poll import Reconciler, ReconcileSummary
    from bzzz.status.sync import StatusSync

log = logging.getLogger(__name__)

AppFactory = Callable[["Settings"], Any]


def default_app(settings: Settings) -> Any:
    """The control plane's HTTP app (part of handlers/), built for `settings`."""
    from handlers.http_app import Services, create_app

    return create_app(Services.build(settings))


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        *,
        app_factory: AppFactory | None = default_app,
        host: str = "127.0.0.1",
        port: int = 0,
        reconcile_every: float = 300.0,
        drain_every: float = 1.0,
        rounds_every: float = 1.0,
    ) -> None:
        from bzzz.bus import Bus
        from bzzz.escalation.handler import build_escalations
        from bzzz.reconcile.poll import build_reconciler
        from bzzz.status.sync import build_status_sync

        self.settings = settings
        self.host = host
        self.port = port or _free_port(host)
        self._app_factory = app_factory
        self._reconcile_every = reconcile_every
        self._drain_every = drain_every
        self._rounds_every = rounds_every
        self.reconciler: Reconciler = build_reconciler(settings)
        self.status_sync: StatusSync = build_status_sync(settings)
        self.bus: Bus = Bus(settings)
        self.escalations: Escalations = build_escalations(settings)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: Any = None
        self._reconcile_lock = threading.Lock()
        self._drain_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ----- one round, on the caller's thread -----------------------------------

    def reconcile_now(self) -> ReconcileSummary:
        with self._reconcile_lock:
            summary = self.reconciler.run()
        log.info("reconcile: %s", summary.as_dict())
        return summary

    def rounds_now(self) -> int:
        """Start the review rounds that are due (the debounce's timer)."""
        with self._reconcile_lock:
            return self.reconciler.fire_rounds()

    def drain_now(self) -> DrainResult:
        with self._drain_lock:
            return self.bus.drain_by_task(
                "status", self.status_sync.handle_task, retry_delay_seconds=1
            )

    def escalate_now(self) -> DrainResult:
        """One round of the escalation function: its queue, then its schedule's sweep."""
        from bzzz.agents import live_agents
        from bzzz.hmmm.peer_queues import PeerQueues

        with self._drain_lock:
            result = self.bus.drain("escalation", self.escalations.handle, retry_delay_seconds=1)
            self.escalations.sweep()
            PeerQueues(self.settings).remove_orphans(a.agent_id for a in live_agents())
        return result

    # ----- the loops ---------------------------------------------------------------

    def start(self) -> Supervisor:
        if self._app_factory is not None:
            self._start_http(self._app_factory(self.settings))
        self._spawn("reconcile", self.reconcile_now, self._reconcile_every, first=0.0)
        self._spawn("status-sync", self.drain_now, self._drain_every, first=0.0)
        self._spawn("review-rounds", self.rounds_now, self._rounds_every, first=0.5)
        self._spawn("escalation", self.escalate_now, max(self._drain_every, 5.0), first=1.0)
        return self

    def _start_http(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(
            app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, name="control-plane-http", daemon=True)
        thread.start()
        self._threads.append(thread)
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the HTTP app did not start on {self.url}")
            time.sleep(0.02)

    def _spawn(self, name: str, job: Callable[[], object], every: float, first: float) -> None:
        def loop() -> None:
            wait = first
            while not self._stop.wait(wait):
                try:
                    job()
                except Exception:
                    # As a Lambda invocation fails alone, one failed round never stops the loop.
                    log.exception("%s round failed", name)
                wait = every

        thread = threading.Thread(target=loop, name=f"control-plane-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()

    def wait(self) -> None:
        """Block until `stop()` (or Ctrl-C in the caller)."""
        while not self._stop.wait(0.5):
            pass

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
