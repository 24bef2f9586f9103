"""Webhook delivery as GitHub does it: signed JSON POSTs, a record of deliveries, redelivery.

Deliveries leave from background threads, so a receiver that calls back into
the stand-in never deadlocks the request that caused the event: one thread by
default (in order), `senders` of them for load (GitHub itself does not promise
order).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from infra.github_emulator.state import WebhookConfig, now

HOOK_ID = 1
USER_AGENT = "GitHub-Hookshot/emulator"


def signature_256(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    id: int
    guid: str
    event: str
    action: str | None
    payload: dict[str, Any]
    body: bytes
    redelivery: bool = False
    url: str | None = None
    status_code: int | None = None
    error: str | None = None
    delivered_at: datetime | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "guid": self.guid,
            "event": self.event,
            "action": self.action,
            "redelivery": self.redelivery,
            "url": self.url,
            "status_code": self.status_code,
            "error": self.error,
            "delivered_at": None if self.delivered_at is None else self.delivered_at.isoformat(),
            "payload": self.payload,
        }


class Webhooks:
    """Records every event; POSTs it when a URL is configured."""

    def __init__(self, config: WebhookConfig, *, senders: int = 1) -> None:
        self.config = config
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._senders = max(1, senders)
        self._workers: list[threading.Thread] = []

    def emit(self, event: str, payload: dict[str, Any]) -> Delivery:
        body = json.dumps(payload).encode()
        with self._lock:
            delivery = Delivery(
                id=len(self.deliveries) + 1,
                guid=str(uuid.uuid4()),
                event=event,
                action=payload.get("action"),
                payload=payload,
                body=body,
            )
            self.deliveries.append(delivery)
        self._enqueue(delivery)
        return delivery

    def redeliver(self, delivery_id: int) -> Delivery | None:
        """Send a past delivery again: same GUID and body, as GitHub's redelivery does."""
        with self._lock:
            if not 1 <= delivery_id <= len(self.deliveries):
                return None
            old = self.deliveries[delivery_id - 1]
            delivery = Delivery(
                id=len(self.deliveries) + 1,
                guid=old.guid,
                event=old.event,
                action=old.action,
                payload=old.payload,
                body=old.body,
                redelivery=True,
            )
            self.deliveries.append(delivery)
        self._enqueue(delivery)
        return delivery

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has been attempted."""
        with self._lock:
            pending = list(self.deliveries)
        return all(d.done.wait(timeout) for d in pending)

    def close(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(None)
        for worker in workers:
            worker.join(timeout=15)

    def _enqueue(self, delivery: Delivery) -> None:
        with self._lock:
            while len(self._workers) < self._senders:
                worker = threading.Thread(target=self._run, name="webhooks", daemon=True)
                worker.start()
                self._workers.append(worker)
        self._queue.put(delivery)

    def _run(self) -> None:
        with httpx.Client(timeout=10.0) as client:
            while (delivery := self._queue.get()) is not None:
                try:
                    self._send(client, delivery)
                finally:
                    delivery.done.set()

    def _send(self, client: httpx.Client, delivery: Delivery) -> None:
        url, secret = self.config.url, self.config.secret
        delivery.url = url
        if not url:
            delivery.error = "no webhook URL configured"
            return
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-GitHub-Event": delivery.event,
            "X-GitHub-Delivery": delivery.guid,
            "X-GitHub-Hook-ID": str(HOOK_ID),
        }
        if secret:
            headers["X-Hub-Signature-256"] = signature_256(secret, delivery.body)
        try:
            reply = client.post(url, content=delivery.body, headers=headers)
            delivery.status_code = reply.status_code
        except httpx.HTTPError as exc:
            # A receiver that is down is what GitHub records as a failed delivery.
            delivery.error = f"{type(exc).__name__}: {exc}"
        delivery.delivered_at = now()
