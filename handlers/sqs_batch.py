"""What every SQS-triggered function shares: one record's envelope, and the FIFO batch.

Powertools' FIFO batch processor reports partial batch failures: a record whose
handling raises is listed in `batchItemFailures` (SQS redelivers it with
backoff and dead-letters it after `maxReceiveCount`), and so are the later
records of the same task, which keeps each task's messages in order; other
tasks go on. A record that is not a valid envelope can never succeed: it is
moved to the dead-letter queue at once (as `Bus.receive` does locally) and
reported as handled.

`process_fifo_groups` hands a function each message group's records together (a
task's messages, in order) for handlers that do one task's work once per batch
(status sync); a group whose handling raises is listed whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from handlers import observability as obs

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from bzzz.bus import Bus
    from bzzz.config import Settings
    from bzzz.messages import Envelope


def sqs_api_message(record: SQSRecord) -> dict[str, Any]:
    """A Lambda SQS record in the shape SQS's ReceiveMessage API returns (Bus's shape)."""
    raw = record.raw_event
    attributes = {
        name: {"DataType": value.get("dataType", "String"), "StringValue": value["stringValue"]}
        for name, value in (raw.get("messageAttributes") or {}).items()
        if "stringValue" in value
    }
    return {
        "MessageId": raw["messageId"],
        "ReceiptHandle": raw["receiptHandle"],
        "Body": raw.get("body", ""),
        "Attributes": raw.get("attributes") or {},
        "MessageAttributes": attributes,
    }


def per_settings[T](build: Callable[[Settings], T]) -> Callable[[], tuple[T, Bus]]:
    """`build(settings)` and a Bus, made once per Settings: a warm Lambda reuses them,
    and a test that changes the environment (a new Settings) gets new ones."""
    built: list[tuple[Settings, T, Bus]] = []

    def parts() -> tuple[T, Bus]:
        from bzzz.bus import Bus
        from bzzz.config import get_settings

        settings = get_settings()
        if not built or built[0][0] is not settings:
            built[:] = [(settings, build(settings), Bus(settings))]
        return built[0][1], built[0][2]

    return parts


def envelope_of(record: SQSRecord, bus: Bus, queue: str) -> Envelope | None:
    """The record's valid envelope (log context bound), or None once dead-lettered."""
    from bzzz.bus import parse_message
    from bzzz.errors import MessageError

    message = sqs_api_message(record)
    obs.bind(message=record.message_id)
    try:
        envelope = parse_message(message["Body"], message["MessageAttributes"])
    except MessageError as exc:
        bus.dead_letter(queue, message, str(exc))
        return None
    obs.bind(task=envelope.task, envelope=envelope.id)
    return envelope


def process_fifo_batch(
    event: dict[str, Any], context: Any, record_handler: Callable[[SQSRecord], None]
) -> dict[str, Any]:
    """Run `record_handler` over the batch; the partial-failure reply SQS expects."""
    from aws_lambda_powertools.utilities.batch import (
        SqsFifoPartialProcessor,
        process_partial_response,
    )

    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    # A batch whose every record failed is answered like any other (all listed), rather
    # than by raising: the outcome in SQS is the same, and the reply says which failed.
    processor.raise_on_entire_batch_failure = False
    try:
        reply = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(reply)  # a TypedDict; Lambda's reply is the plain JSON object
    finally:
        obs.unbind("task", "envelope", "message")
        obs.flush()


def process_fifo_groups(
    event: dict[str, Any], context: Any, group_handler: Callable[[list[SQSRecord]], None]
) -> dict[str, Any]:
    """Run `group_handler` once per message group of the batch, its records in order; the
    partial-failure reply lists every record of a group that raised (so a task's later
    messages never overtake an earlier one), and other groups go on."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    del context  # the reply does not depend on it; kept for the handlers' one signature
    groups: dict[str, list[SQSRecord]] = {}
    for raw in event.get("Records") or []:
        record = SQSRecord(raw)
        groups.setdefault(record.attributes.message_group_id or record.message_id, []).append(
            record
        )
    failures: list[dict[str, str]] = []
    try:
        for records in groups.values():
            try:
                group_handler(records)
            except Exception:
                failures.extend({"itemIdentifier": r.message_id} for r in records)
            finally:
                obs.unbind("task", "envelope", "message")
        return {"batchItemFailures": failures}
    finally:
        obs.flush()
