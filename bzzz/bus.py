"""The message bus: one SNS FIFO topic fanned out to SQS FIFO queues.

Publishing validates the envelope, uses the task key as the message group (per
task order) and the message id as the deduplication id, and carries the type in
the `type` message attribute so that subscriptions filter on it.

Consuming validates every message. One that fails validation is moved to its
queue's dead-letter queue at once, with the schema error attached, and deleted
from the source queue: it is never silently dropped and never retried in vain.
A message whose handler raises is left for redelivery, and after the queue's
`maxReceiveCount` SQS moves it to the same dead-letter queue.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.errors import BusError, MessageError
from bzzz.messages import Envelope

log = logging.getLogger(__name__)

ERROR_ATTRIBUTE = "bzzz_error"
SOURCE_ATTRIBUTE = "bzzz_source_queue"


# SQS's longest receive wait (a long poll): an empty queue costs one request per 20 s per
# consumer, not one a second, and a message still arrives as soon as it is sent.
LONG_POLL_SECONDS = 20


@dataclass(frozen=True)
class Received:
    envelope: Envelope
    receipt_handle: str
    message_id: str
    receive_count: int


@dataclass
class DrainResult:
    handled: int = 0
    failed: int = 0
    rejected: list[str] = field(default_factory=list)


class Bus:
    def __init__(self, settings: Settings, *, sns: Any = None, sqs: Any = None) -> None:
        self._settings = settings
        self._sns = sns or aws.client("sns", settings)
        self._sqs = sqs or aws.client("sqs", settings)
        self._dlq_urls: dict[str, str] = {}

    # ----- publishing -------------------------------------------------------

    def publish(self, envelope: Envelope) -> str:
        """Publish one validated envelope; return the SNS message id."""
        body = envelope.to_json()
        try:
            reply = self._sns.publish(
                TopicArn=self._settings.topic_arn,
                Message=body,
                MessageGroupId=envelope.task,
                MessageDeduplicationId=envelope.id,
                MessageAttributes={
                    "type": {"DataType": "String", "StringValue": str(envelope.type)}
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise BusError(f"publishing {envelope.type} for {envelope.task} failed: {exc}") from exc
        return str(reply["MessageId"])

    # ----- consuming --------------------------------------------------------

    def receive(
        self, queue: str, *, max_messages: int = 10, wait_seconds: int = 0
    ) -> list[Received]:
        """Receive up to `max_messages` valid envelopes; dead-letter the invalid ones."""
        return self._receive(queue, max_messages, wait_seconds)[0]

    def _receive(
        self, queue: str, max_messages: int, wait_seconds: int
    ) -> tuple[list[Received], list[str]]:
        """(valid envelopes, ids of the messages dead-lettered for failing validation)."""
        url = self._settings.queue_url(queue)
        try:
            reply = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=wait_seconds,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            )
        except (ClientError, BotoCoreError) as exc:
            raise BusError(f"receiving from the {queue} queue failed: {exc}") from exc
        accepted: list[Received] = []
        rejected: list[str] = []
        for message in reply.get("Messages", []):
            system = message.get("Attributes", {})
            try:
                envelope = parse_message(message["Body"], message.get("MessageAttributes", {}))
            except MessageError as exc:
                self.dead_letter(queue, message, str(exc))
                rejected.append(message["MessageId"])
                continue
            accepted.append(
                Received(
                    envelope=envelope,
                    receipt_handle=message["ReceiptHandle"],
                    message_id=message["MessageId"],
                    receive_count=int(system.get("ApproximateReceiveCount", "1")),
                )
            )
        return accepted, rejected

    def ack(self, queue: str, received: Received) -> None:
        self._sqs.delete_message(
            QueueUrl=self._settings.queue_url(queue), ReceiptHandle=received.receipt_handle
        )

    def retry_later(self, queue: str, received: Received, delay_seconds: int) -> None:
        """Make the message visible again after `delay_seconds` (backoff)."""
        self._sqs.change_message_visibility(
            QueueUrl=self._settings.queue_url(queue),
            ReceiptHandle=received.receipt_handle,
            VisibilityTimeout=max(0, min(delay_seconds, 43_200)),
        )

    def dead_letter(self, queue: str, message: dict[str, Any], error: str) -> None:
        """Move a raw SQS message to `queue`'s dead-letter queue with `error` attached."""
        system = message.get("Attributes", {})
        attributes = dict(message.get("MessageAttributes", {}))
        attributes[ERROR_ATTRIBUTE] = {"DataType": "String", "StringValue": error[:1000]}
        attributes[SOURCE_ATTRIBUTE] = {"DataType": "String", "StringValue": queue}
        log.warning("dead-lettering message %s from %s: %s", message.get("MessageId"), queue, error)
        try:
            self._sqs.send_message(
                QueueUrl=self.dead_letter_queue_url(queue),
                MessageBody=message["Body"] or "(empty)",
                MessageGroupId=system.get("MessageGroupId", "invalid"),
                MessageDeduplicationId=message["MessageId"],
                MessageAttributes=attributes,
            )
        except (ClientError, BotoCoreError) as exc:
            # Leave the message where it is: SQS's own redrive will move it.
            raise BusError(f"dead-lettering {message.get('MessageId')} failed: {exc}") from exc
        self._sqs.delete_message(
            QueueUrl=self._settings.queue_url(queue), ReceiptHandle=message["ReceiptHandle"]
        )

    def dead_letter_queue_url(self, queue: str) -> str:
        """The URL of the dead-letter queue named by `queue`'s redrive policy."""
        if queue not in self._dlq_urls:
            url = self._settings.queue_url(queue)
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["RedrivePolicy"]
            )["Attributes"]
            if "RedrivePolicy" not in attributes:
                raise BusError(f"the {queue} queue has no redrive policy, so no dead-letter queue")
            target_arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
            name = target_arn.rsplit(":", 1)[-1]
            self._dlq_urls[queue] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._dlq_urls[queue]

    def drain(
        self,
        queue: str,
        handler: Callable[[Envelope], object],  # what it returns is not used
        *,
        max_batches: int = 100,
        retry_delay_seconds: int = 1,
        wait_seconds: int = 0,
    ) -> DrainResult:
        """Handle every available message of `queue` (the local stand-in for a Lambda trigger).

        `wait_seconds`: how long the first receive waits for a message (a long poll)."""

        def each(envelopes: list[Envelope]) -> None:
            handler(envelopes[0])

        return self._drain(queue, each, max_batches, retry_delay_seconds, wait_seconds, False)

    def drain_by_task(
        self,
        queue: str,
        handler: Callable[[list[Envelope]], object],
        *,
        max_batches: int = 100,
        retry_delay_seconds: int = 1,
        wait_seconds: int = 0,
    ) -> DrainResult:
        """As `drain`, but each batch's messages of one task go to `handler` together, in
        order (as handlers/sqs_batch.process_fifo_groups hands a Lambda batch); when it
        raises, all of them are left for redelivery."""
        return self._drain(queue, handler, max_batches, retry_delay_seconds, wait_seconds, True)

    def _drain(
        self,
        queue: str,
        handler: Callable[[list[Envelope]], object],
        max_batches: int,
        retry_delay_seconds: int,
        wait_seconds: int,
        by_task: bool,
    ) -> DrainResult:
        result = DrainResult()
        for batch_number in range(max_batches):
            wait = wait_seconds if batch_number == 0 else 0
            batch, rejected = self._receive(queue, 10, wait)
            result.rejected.extend(rejected)
            if not batch and not rejected:
                break
            groups: dict[str, list[Received]] = {}
            for i, received in enumerate(batch):
                groups.setdefault(received.envelope.task if by_task else str(i), []).append(
                    received
                )
            handled: list[Received] = []
            for group in groups.values():
                try:
                    handler([received.envelope for received in group])
                except Exception:
                    log.exception("handler failed for %s; left for redelivery",
                                  ", ".join(r.message_id for r in group))  # fmt: skip
                    result.failed += len(group)
                    for received in group:
                        delay = retry_delay_seconds * received.receive_count
                        self.retry_later(queue, received, delay)
                    continue
                handled.extend(group)
                result.handled += len(group)
            self.ack_all(queue, handled)
        return result

    def ack_all(self, queue: str, handled: list[Received]) -> None:
        """Delete handled messages in one request (as Lambda's SQS trigger does a batch's)."""
        if not handled:
            return
        reply = self._sqs.delete_message_batch(
            QueueUrl=self._settings.queue_url(queue),
            Entries=[{"Id": str(i), "ReceiptHandle": r.receipt_handle}
                     for i, r in enumerate(handled)],
        )  # fmt: skip
        for failed in reply.get("Failed", []):  # redelivered later: handling is idempotent
            log.warning("%s: deleting a handled message failed: %s", queue, failed.get("Message"))


def parse_message(body: str, attributes: dict[str, Any]) -> Envelope:
    """Validate a raw bus message: the envelope, and its `type` attribute against it."""
    envelope = Envelope.from_json(body)
    declared = attributes.get("type", {}).get("StringValue")
    if declared is not None and declared != str(envelope.type):
        raise MessageError(
            "type", f"message attribute says {declared!r}, envelope says {envelope.type!r}"
        )
    return envelope
