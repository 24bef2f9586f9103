"""Lambda entry point: the escalation queue's SQS batches, and the schedule that keeps time.

SQS event: each record is one `hmmm.help` / `hmmm.feedback` for
`bzzz.escalation`. Powertools' FIFO batch processor reports partial batch
failures: a record whose handling raises (the webhook refused after its
retries, GitHub down) is listed in `batchItemFailures`, and so are the later
records of the same task; SQS redelivers them with backoff and moves them to
the dead-letter queue after `maxReceiveCount`. An invalid record is
dead-lettered at once. Scheduled event: `sweep()` re-sends help requests past
their deadline to the queue, and the peer queues of runners gone are removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers import observability as obs
from handlers.status_sync import sqs_api_message

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from bzzz.bus import Bus
    from bzzz.config import Settings
    from bzzz.escalation import Escalations

_built: tuple[Settings, Escalations, Bus] | None = None


def _parts() -> tuple[Escalations, Bus]:
    global _built
    from bzzz.bus import Bus
    from bzzz.config import get_settings
    from bzzz.escalation import build_escalations

    settings = get_settings()
    if _built is None or _built[0] is not settings:
        _built = (settings, build_escalations(settings), Bus(settings))
    return _built[1], _built[2]


def _record(record: SQSRecord) -> None:
    from bzzz.bus import parse_message
    from bzzz.errors import MessageError

    escalations, bus = _parts()
    message = sqs_api_message(record)
    obs.bind(message=record.message_id)
    try:
        envelope = parse_message(message["Body"], message["MessageAttributes"])
    except MessageError as exc:
        bus.dead_letter("escalation", message, str(exc))
        return
    obs.bind(task=envelope.task, envelope=envelope.id)
    outcome = escalations.handle(envelope)
    obs.logger().info("escalation handled", extra={"outcome": outcome})


def _scheduled() -> dict[str, Any]:
    from bzzz.agents import live_agents
    from bzzz.peer_queues import PeerQueues

    escalations, _ = _parts()
    resent = escalations.sweep()
    removed = PeerQueues(escalations.settings).remove_orphans(a.agent_id for a in live_agents())
    obs.logger().info("escalation sweep", extra={"due": resent, "orphan_queues": removed})
    return {"due": len(resent), "orphan_queues": len(removed)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        SqsFifoPartialProcessor,
        process_partial_response,
    )

    try:
        if "Records" not in event:
            return _scheduled()
        processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        processor.raise_on_entire_batch_failure = False
        return process_partial_response(
            event=event, record_handler=_record, processor=processor, context=context
        )
    finally:
        obs.unbind("task", "envelope", "message")
        obs.flush()
