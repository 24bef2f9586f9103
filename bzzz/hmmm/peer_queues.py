"""Per-runner peer queues: every runner sees every `hmmm.*` message.

`task.available` goes to one shared work queue because runners compete for
it; plan review is the opposite, every live peer must see the plan. So each
runner owns one SQS FIFO queue (with its own dead-letter queue) subscribed to
the bus topic with a filter on the `hmmm.*` types, created when it registers
and deleted when it stops. Names derive from the topic's stack prefix and the
runner id, so a restarted runner finds its own queue again (and purges what
piled up while it was away), and `remove_orphans` finds the queues of runners
whose agent rows are gone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bzzz import aws
from bzzz.bus import parse_message
from bzzz.config import Settings
from bzzz.errors import BusError, MessageError
from bzzz.messages import Envelope, MessageType

log = logging.getLogger(__name__)

HMMM_TYPES = [str(t) for t in MessageType if str(t).startswith("hmmm.")]
MAX_RECEIVE_COUNT = 5
# A queue younger than this is never an orphan: its runner may not have
# written its agent row yet.
ORPHAN_GRACE_SECONDS = 300


def stack_prefix(settings: Settings) -> str:
    """`<stack>` of the topic `arn:...:<stack>-bus.fifo`."""
    name = settings.topic_arn.rsplit(":", 1)[-1]
    return name.removesuffix(".fifo").removesuffix("-bus")


def queue_name(settings: Settings, runner_id: str, *, dead_letter: bool = False) -> str:
    """`<stack>-peer-<runner id>[-dlq].fifo`, within SQS's 80 characters."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", runner_id)
    base = f"{stack_prefix(settings)}-peer-{safe}"
    if len(base) > 66:  # long ids: a stable hash keeps names unique and short
        base = base[:53] + "-" + hashlib.sha256(runner_id.encode()).hexdigest()[:12]
    return f"{base}{'-dlq' if dead_letter else ''}.fifo"


@dataclass(frozen=True)
class PeerQueue:
    runner_id: str
    url: str
    arn: str
    dlq_url: str
    subscription_arn: str


class PeerQueues:
    def __init__(self, settings: Settings, *, sns: Any = None, sqs: Any = None) -> None:
        self._settings = settings
        self._sns = sns or aws.client("sns", settings)
        self._sqs = sqs or aws.client("sqs", settings)

    # ----- one runner's queue ------------------------------------------------

    def create(self, runner_id: str) -> PeerQueue:
        """Create (or take back) the runner's queue and subscribe it; purge old messages."""
        try:
            dlq_url = self._queue(queue_name(self._settings, runner_id, dead_letter=True), {})
            dlq_arn = self._arn(dlq_url)
            redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
            url = self._queue(
                queue_name(self._settings, runner_id),
                {"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "60"},
            )
            arn = self._arn(url)
            self._sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": self._policy(arn)})
            self._sqs.tag_queue(QueueUrl=url, Tags={"bzzz:peer-of": runner_id[:256]})
            existing = self._subscriptions_of(arn)
            subscription = existing[0] if existing else self._subscribe(arn)
        except (ClientError, BotoCoreError) as exc:
            raise BusError(f"creating the peer queue of {runner_id} failed: {exc}") from exc
        # Messages left from an earlier run of this id are about threads long gone.
        try:
            self._sqs.purge_queue(QueueUrl=url)
        except ClientError as exc:  # PurgeQueueInProgress: one purge a minute
            log.info("peer queue of %s not purged: %s", runner_id, exc)
        return PeerQueue(runner_id, url, arn, dlq_url, subscription)

    def delete(self, queue: PeerQueue) -> None:
        """Unsubscribe and delete the queue and its dead-letter queue (at shutdown)."""
        self._remove(queue.arn, queue.url, queue.dlq_url)

    def receive(self, queue: PeerQueue, *, wait_seconds: int = 1) -> list[tuple[Envelope, str]]:
        """Valid envelopes with their receipt handles; an invalid message is dropped to the DLQ."""
        reply = self._sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
        )
        found = []
        for message in reply.get("Messages", []):
            try:
                envelope = parse_message(message["Body"], message.get("MessageAttributes", {}))
            except MessageError as exc:
                # Redrive does the move after MAX_RECEIVE_COUNT receives; do not ack it.
                log.warning("peer queue %s: invalid message %s", queue.runner_id, exc)
                continue
            found.append((envelope, message["ReceiptHandle"]))
        return found

    def ack(self, queue: PeerQueue, receipt_handle: str) -> None:
        self._sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=receipt_handle)

    # ----- orphans -----------------------------------------------------------

    def remove_orphans(self, live_ids: Iterable[str], *, now: float | None = None) -> list[str]:
        """Delete the peer queues of runners not in `live_ids`; return their names."""
        at = time.time() if now is None else now
        live = {queue_name(self._settings, i) for i in live_ids}
        prefix = f"{stack_prefix(self._settings)}-peer-"
        urls = self._sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
        removed = []
        for url in urls:
            name = url.rsplit("/", 1)[-1]
            if name.endswith("-dlq.fifo") or name in live:
                continue
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["CreatedTimestamp", "QueueArn"]
            )["Attributes"]
            if at - float(attributes.get("CreatedTimestamp", at)) < ORPHAN_GRACE_SECONDS:
                continue
            dlq = url.removesuffix(".fifo") + "-dlq.fifo"
            self._remove(attributes["QueueArn"], url, dlq)
            removed.append(name)
        return removed

    # ----- helpers -----------------------------------------------------------

    def _queue(self, name: str, attributes: dict[str, str]) -> str:
        reply = self._sqs.create_queue(
            QueueName=name,
            Attributes={"FifoQueue": "true", "MessageRetentionPeriod": "86400", **attributes},
        )
        return str(reply["QueueUrl"])

    def _arn(self, url: str) -> str:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])

    def _policy(self, queue_arn: str) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue_arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": self._settings.topic_arn}},
                    }
                ],
            }
        )

    def _subscribe(self, queue_arn: str) -> str:
        reply = self._sns.subscribe(
            TopicArn=self._settings.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={
                "RawMessageDelivery": "true",
                "FilterPolicyScope": "MessageAttributes",
                "FilterPolicy": json.dumps({"type": HMMM_TYPES}),
            },
            ReturnSubscriptionArn=True,
        )
        return str(reply["SubscriptionArn"])

    def _subscriptions_of(self, queue_arn: str) -> list[str]:
        found = []
        paginator = self._sns.get_paginator("list_subscriptions_by_topic")
        for page in paginator.paginate(TopicArn=self._settings.topic_arn):
            for sub in page.get("Subscriptions", []):
                if sub.get("Endpoint") == queue_arn:
                    found.append(sub["SubscriptionArn"])
        return found

    def _remove(self, queue_arn: str, url: str, dlq_url: str) -> None:
        for subscription in self._subscriptions_of(queue_arn):
            self._sns.unsubscribe(SubscriptionArn=subscription)
        for target in (url, dlq_url):
            try:
                self._sqs.delete_queue(QueueUrl=target)
            except ClientError as exc:  # already gone: the goal is reached
                log.info("deleting %s: %s", target, exc)
