"""A runner's part in HMMM: its peer queue, its reviews of others, its waits for feedback.

    participant = Participant(settings, "runner-a", bus, reviewer=review_fn)
    participant.start()          # peer queue + subscription, inbox thread, reviewer pool
    feedback = participant.ask_for_review("o/r#1", plan, issue=..., round=1)
    participant.stop()           # queue and subscription deleted

One inbox thread reads the runner's peer queue. Feedback answering one of our
own messages wakes the author waiting for it; a plan or help request of another
agent goes to the reviewer pool, a thread pool of its own (`reviewers` threads,
at most `reviewers * 2` reviews queued; more are declined) so reviewing never
takes a task slot. The author asks the live peers with a free task slot; with
none it does not wait at all, else until every one answered or `wait_seconds`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bzzz import agents, threads
from bzzz.bus import LONG_POLL_SECONDS
from bzzz.config import Settings
from bzzz.hmmm.feedback import Feedback
from bzzz.hmmm.peer_queues import PeerQueue, PeerQueues
from bzzz.messages import Envelope, MessageType
from bzzz.tasks.lifecycle import Publisher

log = logging.getLogger(__name__)

# Given another agent's plan or help request: the feedback to publish, or None.
Reviewer = Callable[[Envelope], Feedback | None]


class _Waiter:
    def __init__(self, expected: set[str]) -> None:
        self.expected = expected
        self.got: list[Feedback] = []
        self.cond = threading.Condition()

    def add(self, item: Feedback) -> None:
        with self.cond:
            if item.sender in self.expected and all(f.sender != item.sender for f in self.got):
                self.got.append(item)
                self.cond.notify_all()

    def wait(self, seconds: float) -> list[Feedback]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.got) >= len(self.expected), seconds)
            return list(self.got)


class Participant:
    def __init__(
        self,
        settings: Settings,
        agent_id: str,
        publisher: Publisher,
        *,
        reviewer: Reviewer,
        reviewers: int = 2,
        wait_seconds: float = 120.0,
        queues: PeerQueues | None = None,
        record: Callable[[Envelope], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.agent_id = agent_id
        self.wait_seconds = wait_seconds
        self._publisher = publisher
        self._reviewer = reviewer
        self._queues = queues or PeerQueues(settings)
        self._record = record or (lambda envelope: threads.record(settings, envelope))
        self._pool = ThreadPoolExecutor(max_workers=reviewers, thread_name_prefix="hmmm-review")
        self._slots = threading.BoundedSemaphore(reviewers * 2)
        self._waiters: dict[str, _Waiter] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._inbox: threading.Thread | None = None
        self.queue: PeerQueue | None = None
        self.reviewed: list[str] = []  # message ids this runner answered (logs, tests)

    # ----- lifetime ------------------------------------------------------------

    def start(self) -> PeerQueue:
        self.queue = self._queues.create(self.agent_id)
        self._inbox = threading.Thread(target=self._run, name="hmmm-inbox", daemon=True)
        self._inbox.start()
        return self.queue

    def stop(self) -> None:
        # The inbox may be in a long poll (up to LONG_POLL_SECONDS): it is not waited for.
        # It sees the stop when the poll returns and leaves whatever came; the queue is
        # deleted with its messages anyway.
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.queue is not None:
            self._queues.delete(self.queue)
            self.queue = None

    # ----- the author's side ------------------------------------------------------

    def ask_for_review(
        self, task: str, plan: str, *, issue: str = "", round: int = 1, attempt: int = 1
    ) -> list[Feedback]:
        """Publish `hmmm.plan` and collect the live peers' feedback (no peers: no wait).

        `attempt`: the task's attempt the plan is for; a requeued task plans again, and the
        thread must say which attempt each plan belongs to."""
        # Peers whose task slots are all taken are not asked: their model is busy
        # with their own work, and the author would only wait for them.
        peers = {a.agent_id for a in agents.live_peers(self.agent_id) if a.spare > 0}
        data: dict[str, Any] = {"round": round, "text": plan[:20000], "reviewers": sorted(peers),
                                "attempt": attempt}  # fmt: skip
        if issue:
            data["issue"] = issue[:8000]
        envelope = Envelope(MessageType.HMMM_PLAN, self.agent_id, task, data)
        return self._publish_and_wait(envelope, peers)

    def _publish_and_wait(self, envelope: Envelope, peers: set[str]) -> list[Feedback]:
        waiter = _Waiter(peers)
        if peers:
            with self._lock:
                self._waiters[envelope.id] = waiter
        try:
            self._record(envelope)
            self._publisher.publish(envelope)
            if not peers:
                return []
            return waiter.wait(self.wait_seconds)
        finally:
            with self._lock:
                self._waiters.pop(envelope.id, None)

    # ----- the inbox and the reviewers ----------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            queue = self.queue
            if queue is None:
                return
            try:
                batch = self._queues.receive(queue, wait_seconds=LONG_POLL_SECONDS)
            except Exception as exc:  # the bus briefly away: wait, do not die
                if self._stopping.is_set():
                    return  # stop() deleted the queue under the poll
                log.warning("%s: reading the peer queue failed: %s", self.agent_id, exc)
                self._stopping.wait(2)
                continue
            if self._stopping.is_set():
                return
            for envelope, receipt in batch:
                try:
                    self._dispatch(envelope)
                finally:
                    self._queues.ack(queue, receipt)

    def _dispatch(self, envelope: Envelope) -> None:
        if envelope.sender == self.agent_id:
            return
        if envelope.type is MessageType.HMMM_FEEDBACK:
            with self._lock:
                waiter = self._waiters.get(str(envelope.data.get("in_reply_to", "")))
            if waiter is not None:
                waiter.add(_feedback(envelope))
            return
        wanted = envelope.type is MessageType.HMMM_HELP or (
            envelope.type is MessageType.HMMM_PLAN
            and self.agent_id in envelope.data.get("reviewers", [])
        )
        if not wanted:
            return
        if not self._slots.acquire(blocking=False):
            log.info("%s: too many reviews queued; not reviewing %s", self.agent_id, envelope.id)
            return
        self._pool.submit(self._review, envelope)

    def _review(self, envelope: Envelope) -> None:
        try:
            answer = self._reviewer(envelope)
            if answer is None or not answer.text.strip():
                return
            data: dict[str, Any] = {
                "round": int(envelope.data.get("round", 1)),
                "text": answer.text[:20000],
                "in_reply_to": envelope.id,
            }
            if answer.verdict:
                data["verdict"] = answer.verdict
            reply = Envelope(MessageType.HMMM_FEEDBACK, self.agent_id, envelope.task, data)
            self._record(reply)
            self._publisher.publish(reply)
            self.reviewed.append(envelope.id)
        except Exception:
            log.exception("%s: reviewing %s failed", self.agent_id, envelope.id)
        finally:
            self._slots.release()


def _feedback(envelope: Envelope) -> Feedback:
    verdict = envelope.data.get("verdict")
    return Feedback(
        verdict=verdict if verdict in ("approve", "concerns") else None,
        text=str(envelope.data.get("text", "")),
        sender=envelope.sender,
        round=int(envelope.data.get("round", 1)),
    )
