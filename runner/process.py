"""`bzzz runner`: the long-running process that takes tasks from the work queue.

    process = RunnerProcess.from_environment()   # checks the configuration (RunnerStartError)
    process.run()                                # until stop() (SIGTERM, SIGINT)

At start: the container engine answers and starts a probe sandbox, the
credentials exist, Ollama answers and has the model, orphaned sandboxes of this
runner id are removed, and the runner's row is written to the agents table.
Then it receives `task.available` while it has a free slot (capacity), claims
each task through the state machine and acknowledges the message whether the
claim was won or lost (the lease carries ownership, and the reconcile poll
republishes a task whose lease expires). A task released because Ollama or the
engine stopped answering, or its sandbox could not start, pauses the claims
until both answer again and a probe sandbox starts, so the task goes to another
runner instead of coming straight back; a task whose own sandbox could not
start here is left on the queue for other runners for SANDBOX_RETRY_SECONDS.
On stop it takes no more work, lets running tasks finish for `grace_seconds`,
then stops the rest and releases their leases.

`work` makes the worker of each claimed task: TaskWorker, always, except in
bench/scale.py, which hands in a stand-in for the sandbox, the model and git
(the one place a stand-in for our own code is right: what is measured there is
the coordination around it - claim, lease, progress, the last transition).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from bzzz.bus import LONG_POLL_SECONDS, Bus, Received
from bzzz.errors import TransitionError
from bzzz.messages import MessageType
from bzzz.tasks.lifecycle import Lifecycle
from runner.config_checks import StartedParts, start_parts
from runner.long_poll import poll_unless_stopped
from runner.sandbox.probe import prove_sandbox_starts
from runner.sandbox.reaper import reap_abandoned
from runner.worker.task_worker import TaskWorker

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from bzzz.store.models import Task
    from runner.worker.context import WorkerContext

log = logging.getLogger(__name__)

HEALTH_RETRY_SECONDS = 5.0
# A task whose sandbox could not start here (e.g. its image is missing on this engine) is
# left for other runners this long before this one claims it again.
SANDBOX_RETRY_SECONDS = 600.0


class Work(Protocol):
    """What the loop needs of a task's worker (runner.worker.task_worker.TaskWorker)."""

    key: str
    sandbox_did_not_start: bool

    def run(self) -> str: ...

    def stop(self, reason: str, *, shutdown: bool = False) -> None: ...


class RunnerProcess:
    def __init__(
        self, parts: StartedParts, *, work: Callable[[WorkerContext, Task], Work] = TaskWorker
    ) -> None:
        self.parts = parts
        self.ctx = parts.context
        self.runner_id = parts.context.runner.runner_id
        self.capacity = parts.context.runner.capacity
        self.bus: Bus = parts.bus
        self.lifecycle: Lifecycle = parts.context.lifecycle
        self._stopping = threading.Event()
        self._unhealthy = parts.context.unhealthy
        self._host = parts.context.runner.ollama_host
        self._warned = False
        self._lock = threading.Lock()
        self._work_factory = work
        self._workers: dict[str, tuple[Work, Future[str]]] = {}
        self.results: dict[str, str] = {}  # task key -> what became of it (last attempt)
        self._declined: dict[str, float] = {}  # task key -> monotonic time to claim it again
        self._pool = ThreadPoolExecutor(max_workers=self.capacity, thread_name_prefix="task")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> RunnerProcess:
        return cls(start_parts(environ))

    # ----- control ------------------------------------------------------------

    def stop(self) -> None:
        """Take no more work (safe from a signal handler)."""
        self._stopping.set()

    @property
    def in_flight(self) -> list[str]:
        with self._lock:
            return sorted(self._workers)

    def run(self) -> None:
        registration = self.parts.registration
        info = self.ctx.model.info
        tools = "tools" if info is not None and info.supports_tools else "text protocol"
        settings = self.ctx.settings
        records = "on" if settings.decision_recipients and settings.decisions_bucket else (
            "off (BZZZ_DECISION_RECIPIENTS not set)" if settings.decisions_bucket else "off"
        )  # fmt: skip
        log.info(
            "runner %s ready: model %s (%s) at %s, capacity %d; decision records %s",
            self.runner_id, self.ctx.runner.model, tools, self.ctx.runner.ollama_host,
            self.capacity, records,
        )  # fmt: skip
        beat_every = self.ctx.runner.heartbeat_every(self.ctx.settings.lease_seconds)
        next_beat = time.monotonic() + beat_every
        try:
            while not self._stopping.is_set():
                if time.monotonic() >= next_beat:
                    registration.heartbeat(self.in_flight)
                    self._reap()
                    next_beat = time.monotonic() + beat_every
                if self._unhealthy.is_set() and not self._healthy_again():
                    continue
                free = self.capacity - len(self.in_flight)
                if free <= 0:
                    self._stopping.wait(0.2)
                    continue
                # A long poll (SQS's at most 20 s) costs one request however long the queue
                # stays empty; it ends by the next beat, so the beat keeps its time.
                wait = max(1, min(LONG_POLL_SECONDS, int(next_beat - time.monotonic())))
                try:
                    messages = self._receive_work(min(free, 10), wait)
                except Exception as exc:  # the bus briefly away: wait, do not die
                    log.warning("receiving work failed: %s", exc)
                    self._stopping.wait(2)
                    continue
                for received in messages:
                    self._take(received)
            self._drain()
        finally:
            self._pool.shutdown(wait=True)
            if self.ctx.participant is not None:
                self.ctx.participant.stop()
            registration.deregister()

    def _receive_work(self, most: int, wait: int) -> list[Received]:
        """One long poll of the work queue that a stop does not wait for (runner.long_poll)."""
        return poll_unless_stopped(
            lambda: self.bus.receive("work", max_messages=most, wait_seconds=wait),
            self._stopping,
            self._give_back,
        )

    def _give_back(self, messages: list[Received]) -> None:
        for received in messages:
            try:
                self.bus.retry_later("work", received, 0)
            except Exception as exc:  # it comes back after the visibility timeout anyway
                log.warning("%s: giving the message back failed: %s", received.envelope.task, exc)

    # ----- one message --------------------------------------------------------

    def _take(self, received: Received) -> None:
        envelope = received.envelope
        if envelope.type is not MessageType.TASK_AVAILABLE:
            self._ack(received)
            return
        if self._stopping.is_set():
            return  # left on the queue: it becomes visible again for another runner
        if self._declined.get(envelope.task, 0.0) > time.monotonic():
            log.info("%s: left for another runner: its sandbox could not start here", envelope.task)
            return  # as above; claiming it again would only fail the same way
        try:
            task = self.lifecycle.claim(envelope.task, self.runner_id)
        except TransitionError as lost:
            log.info("%s: not claimed (%s)", envelope.task, lost.reason)
            self._ack(received)  # won or lost, the lease says who owns the task
            return
        except Exception as exc:  # the table unreachable: the message comes back later
            log.warning("%s: claim failed, the message will come back: %s", envelope.task, exc)
            return
        self._ack(received)
        log.info("%s: claimed (attempt %s)", task.key, task.attempt)
        if int(task.attempt) > 1:  # taken over: the earlier attempt's sandbox is nobody's now
            self._reap()
        worker = self._work_factory(self.ctx, task)
        with self._lock:
            future = self._pool.submit(self._work, worker)
            self._workers[task.key] = (worker, future)
        # The agents table shows what this runner works on at once, not a beat later.
        self.parts.registration.heartbeat(self.in_flight)

    def _reap(self) -> None:
        """Remove this deployment's sandboxes whose runner lost their lease (a dead runner's)."""
        if self.ctx.docker is None:  # bench/scale's stand-in work runs no sandbox
            return
        try:
            removed = reap_abandoned(self.ctx.docker, self.ctx.deployment, self.ctx.lease_holder)
        except Exception as exc:  # the engine or the table briefly away: the next beat retries
            log.warning("reaping abandoned sandboxes failed: %s", exc)
            return
        if removed:
            log.info("removed %d abandoned sandbox(es): %s", len(removed), ", ".join(removed))

    def _ack(self, received: Received) -> None:
        try:
            self.bus.ack("work", received)
        except Exception as exc:  # a redelivery is harmless: the next claim is refused
            log.warning("%s: ack failed: %s", received.envelope.task, exc)

    def _work(self, worker: Work) -> str:
        try:
            result = worker.run()
        except BaseException:
            log.exception("%s: the worker crashed", worker.key)
            result = "crashed"
        with self._lock:
            self._workers.pop(worker.key, None)
            self.results[worker.key] = result
            if worker.sandbox_did_not_start:
                now = time.monotonic()
                self._declined = {k: t for k, t in self._declined.items() if t > now}
                self._declined[worker.key] = now + SANDBOX_RETRY_SECONDS
        if not self._stopping.is_set():
            self.parts.registration.heartbeat(self.in_flight)
        return result

    def _healthy_again(self) -> bool:
        """While Ollama or the engine is away, check them every few seconds; claim nothing."""
        if not self._warned:
            log.warning("Ollama or the container engine is unavailable: taking no work meanwhile")
            self._warned = True
        if self._stopping.wait(HEALTH_RETRY_SECONDS):
            return False
        try:
            self.ctx.model.check()
            if self.ctx.docker is not None:  # bench/scale's stand-in work runs no sandbox
                self.ctx.docker.ping()
                # A sandbox that could not start released its task: a ping does not prove
                # the engine can start one now, a probe sandbox does.
                prove_sandbox_starts(
                    self.ctx.docker, self.ctx.runner.sandbox_image,
                    runner_id=self.runner_id, scratch=self.ctx.runner.state_dir,
                )  # fmt: skip
        except Exception as exc:
            log.debug("still unavailable: %s", exc)
            return False
        log.info("Ollama at %s and the container engine answer again: taking work", self._host)
        self._unhealthy.clear()
        self._warned = False
        return True

    def _drain(self) -> None:
        """Let running tasks finish within the grace period, then stop and release the rest."""
        grace = self.ctx.runner.grace_seconds
        if self.in_flight:
            log.info("stopping: %d task(s) get %.0fs to finish", len(self.in_flight), grace)
        deadline = time.monotonic() + grace
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.1)
        with self._lock:
            left = list(self._workers.values())
        for worker, _ in left:
            worker.stop("runner shutting down", shutdown=True)
        for _, future in left:
            future.result()
        log.info("runner %s stopped", self.runner_id)
