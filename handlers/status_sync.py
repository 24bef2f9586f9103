"""Lambda entry point: a batch of SQS records from the status queue → status sync.

Powertools' FIFO batch processor reports partial batch failures: a record whose
sync raises is listed in `batchItemFailures` (SQS redelivers it with backoff and
dead-letters it after `maxReceiveCount`), and so are the later records of the
same task, which keeps each task's updates in order; other tasks go on. A
record that is not a valid envelope can never succeed: it is moved to the
dead-letter queue at once (as `Bus.receive` does locally) and reported as
handled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers import observability as obs

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from bzzz.bus import Bus
    from bzzz.config import Settings
    from bzzz.status_sync import StatusSync

_built: tuple[Settings, StatusSync, Bus] | None = None


def _parts() -> tuple[StatusSync, Bus]:
    global _built
    from bzzz.bus import Bus
    from bzzz.config import get_settings
    from bzzz.status_sync import build_status_sync

    settings = get_settings()
    if _built is None or _built[0] is not settings:
        _built = (settings, build_status_sync(settings), Bus(settings))
    return _built[1], _built[2]


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


def _record(record: SQSRecord) -> None:
    from bzzz.bus import parse_message
    from bzzz.errors import MessageError

    sync, bus = _parts()
    message = sqs_api_message(record)
    obs.bind(message=record.message_id)
    try:
        envelope = parse_message(message["Body"], message["MessageAttributes"])
    except MessageError as exc:
        bus.dead_letter("status", message, str(exc))
        obs.count(obs.SYNC_DEAD_LETTERED)
        return
    obs.bind(task=envelope.task, envelope=envelope.id)
    try:
        outcome = sync.handle(envelope)
    except Exception:
        obs.count(obs.SYNC_FAILURES)
        obs.logger().exception("status sync failed; the queue will retry")
        raise
    if "claim" in outcome.hive:
        obs.count(obs.CLAIMS_REPORTED)
    if "status" in outcome.hive:
        obs.count(obs.STATUS_REPORTED)
    failed = [kind for kind in outcome.hive if kind.endswith("-failed")]
    if failed:
        obs.count(obs.HIVE_FAILURES, len(failed))
    obs.logger().info("status synced", extra={"outcome": outcome.result, "hive": outcome.hive})
    obs.unbind("task", "envelope")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        SqsFifoPartialProcessor,
        process_partial_response,
    )

    obs.adopt_library_logs()
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    # A batch whose every record failed is answered like any other (all listed), rather
    # than by raising: the outcome in SQS is the same, and the reply says which failed.
    processor.raise_on_entire_batch_failure = False
    try:
        return process_partial_response(
            event=event, record_handler=_record, processor=processor, context=context
        )
    finally:
        obs.unbind("task", "envelope", "message")
        obs.flush()
