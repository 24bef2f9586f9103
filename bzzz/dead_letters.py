"""The dead-letter queues: what is in them and why, and moving them back (`bzzz dlq`).

Every consumed queue of the template (work, status, escalation) has a DLQ named
by its redrive policy. A message gets there two ways (bzzz.bus): it failed
validation (moved at once, its schema error in the `bzzz_error` attribute), or
its consumer raised on it `maxReceiveCount` times (moved by SQS; the error is in
the consumer's log, the message carries its receive count).

`dead_letters` lists them without consuming them: each message received is made
visible again at once. A FIFO queue hands out nothing of a message group while a
message of that group is in flight, so a listing shows at most one batch per
group; `DeadLetterQueue.depth` is SQS's own count of everything.

`redrive` moves messages back to their source queue: through SQS's
StartMessageMoveTask where the backend has it (AWS, LocalStack) and no message
is known to be invalid, else by receive, send, delete - the send keeps the
message's group and takes its message id as deduplication id, so a redrive
interrupted after a send and run again cannot send it twice. Messages that
failed validation would only come straight back; they stay unless asked for.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bzzz import aws
from bzzz.bus import ERROR_ATTRIBUTE, SOURCE_ATTRIBUTE, Bus
from bzzz.config import QUEUES, Settings
from bzzz.errors import BusError

log = logging.getLogger(__name__)

HANDLER_FAILED = "its consumer failed it {count} time(s) (the error is in the consumer's log)"
LISTING_VISIBILITY = 30  # seconds a listed message is held before it is made visible again


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    message_id: str  # in the DLQ
    source_id: str  # the message id it had on its source queue
    receive_count: int
    type: str  # the envelope's type, or "(unreadable)"
    task: str
    reason: str
    group: str


@dataclass
class DeadLetterQueue:
    queue: str
    url: str
    depth: int
    messages: list[DeadLetter] = field(default_factory=list)


@dataclass
class Redrive:
    queue: str
    moved: int = 0
    kept_invalid: int = 0
    move_task: str | None = None  # StartMessageMoveTask's handle, when SQS moves them


def _describe(queue: str, message: dict[str, Any]) -> DeadLetter:
    system = message.get("Attributes", {})
    attributes = message.get("MessageAttributes", {})
    count = int(system.get("ApproximateReceiveCount", "0"))
    error = attributes.get(ERROR_ATTRIBUTE, {}).get("StringValue")
    try:
        body = json.loads(message.get("Body") or "")
        kind = str(body.get("type", "(no type)")) if isinstance(body, dict) else "(not an object)"
        task = str(body.get("task", "")) if isinstance(body, dict) else ""
    except ValueError:
        kind, task = "(unreadable)", ""
    reason = f"invalid: {error}" if error else HANDLER_FAILED.format(count=count)
    # bzzz.bus sends an invalid message on with its old id as deduplication id; SQS's own
    # redrive keeps the id.
    source_id = system.get("MessageDeduplicationId") if error else None
    return DeadLetter(
        queue=queue, message_id=str(message["MessageId"]),
        source_id=str(source_id or message["MessageId"]), receive_count=count, type=kind[:100],
        task=task[:200], reason=reason, group=str(system.get("MessageGroupId", "")),
    )  # fmt: skip


class DeadLetters:
    def __init__(self, settings: Settings, *, sqs: Any = None) -> None:
        self._settings = settings
        self._sqs = sqs or aws.client("sqs", settings)
        self._bus = Bus(settings, sqs=self._sqs)

    def queues(self) -> list[str]:
        """The consumed queues this configuration knows (those with a URL)."""
        return [name for name in QUEUES if name in self._settings.queue_urls]

    def depth(self, queue: str) -> int:
        """How many messages `queue`'s DLQ holds (SQS's approximate count)."""
        return self._depth(self._bus.dead_letter_queue_url(queue))

    def source_depth(self, queue: str) -> int:
        """How many messages `queue` itself holds, waiting or in flight (the dashboard's view)."""
        return self._depth(self._settings.queue_url(queue))

    def inspect(self, queue: str) -> DeadLetterQueue:
        url = self._bus.dead_letter_queue_url(queue)
        depth = self._depth(url)
        held = self._receive_all(url, LISTING_VISIBILITY)
        try:
            messages = [_describe(queue, m) for m in held]
        finally:
            self._release(url, held)
        return DeadLetterQueue(queue, url, depth, messages)

    def redrive(self, queue: str, *, include_invalid: bool = False) -> Redrive:
        result = Redrive(queue)
        source = self._settings.queue_url(queue)
        dlq = self._bus.dead_letter_queue_url(queue)
        invalid = [m for m in self.inspect(queue).messages if m.reason.startswith("invalid:")]
        if include_invalid or not invalid:
            result.move_task = self._move_task(dlq, source)
            if result.move_task is not None:
                return result
        skipped: list[dict[str, Any]] = []
        while batch := self._receive(dlq, 60):
            for message in batch:
                attributes = dict(message.get("MessageAttributes", {}))
                if ERROR_ATTRIBUTE in attributes and not include_invalid:
                    skipped.append(message)
                    continue
                attributes.pop(ERROR_ATTRIBUTE, None)
                attributes.pop(SOURCE_ATTRIBUTE, None)
                system = message.get("Attributes", {})
                self._sqs.send_message(
                    QueueUrl=source, MessageBody=message["Body"],
                    MessageGroupId=system.get("MessageGroupId", "redrive"),
                    MessageDeduplicationId=message["MessageId"], MessageAttributes=attributes,
                )  # fmt: skip
                self._sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
                result.moved += 1
        self._release(dlq, skipped)
        result.kept_invalid = len(skipped)
        return result

    # ----- SQS -------------------------------------------------------------------

    def _move_task(self, dlq: str, source: str) -> str | None:
        """SQS moves the messages itself; None where the backend cannot (moto)."""
        try:
            arns = [self._arn(dlq), self._arn(source)]
            reply = self._sqs.start_message_move_task(SourceArn=arns[0], DestinationArn=arns[1])
        except (ClientError, BotoCoreError) as exc:
            log.info("StartMessageMoveTask unavailable here (%s); moving one by one", exc)
            return None
        return str(reply.get("TaskHandle", ""))

    def _arn(self, url: str) -> str:
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])

    def _depth(self, url: str) -> int:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)
        return sum(int(attributes["Attributes"].get(n, 0)) for n in names)

    def _receive(self, url: str, visibility: int) -> list[dict[str, Any]]:
        try:
            reply = self._sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                VisibilityTimeout=visibility, MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            )  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            raise BusError(f"reading the dead-letter queue {url} failed: {exc}") from exc
        return list(reply.get("Messages", []))

    def _receive_all(self, url: str, visibility: int) -> list[dict[str, Any]]:
        held: dict[str, dict[str, Any]] = {}
        while batch := [m for m in self._receive(url, visibility) if m["MessageId"] not in held]:
            held.update((m["MessageId"], m) for m in batch)
        return list(held.values())

    def _release(self, url: str, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            except (ClientError, BotoCoreError) as exc:  # visible again after the timeout
                log.warning("could not release dead letter %s: %s", message["MessageId"], exc)


def dead_letters(settings: Settings) -> dict[str, list[DeadLetter]]:
    """Every configured queue's dead letters (as listed: see the module's note on FIFO)."""
    letters = DeadLetters(settings)
    return {queue: letters.inspect(queue).messages for queue in letters.queues()}


def redrive(settings: Settings, queue: str, *, include_invalid: bool = False) -> Redrive:
    return DeadLetters(settings).redrive(queue, include_invalid=include_invalid)
