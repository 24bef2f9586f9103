"""Lambda entry point: the escalation queue's SQS batches, and the schedule that keeps time.

SQS event: each record is one `hmmm.help` / `hmmm.feedback` for
`bzzz.escalation.handler`. Powertools' FIFO batch processor reports partial batch
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
from handlers import snapstart
from handlers.sqs_batch import envelope_of, per_settings, process_fifo_batch

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from bzzz.config import Settings
    from bzzz.escalation.handler import Escalations


def _build(settings: Settings) -> Escalations:
    from bzzz.escalation.handler import build_escalations

    return build_escalations(settings)


_parts = per_settings(_build)

# What a SnapStart snapshot is primed with (handlers/snapstart.py): the modules and
# clients the first invocation would otherwise load and make.
SNAPSHOT_MODULES = (
    "bzzz.escalation.handler",
    "bzzz.github.client",
    "githubkit",
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
)
SNAPSHOT_CLIENTS = ("dynamodb", "sqs", "sns", "secretsmanager")
snapstart.prime_on_snapshot(SNAPSHOT_MODULES, SNAPSHOT_CLIENTS)


def _record(record: SQSRecord) -> None:
    escalations, bus = _parts()
    envelope = envelope_of(record, bus, "escalation")
    if envelope is None:
        return
    outcome = escalations.handle(envelope)
    obs.logger().info("escalation handled", extra={"outcome": outcome})


def _scheduled() -> dict[str, Any]:
    from bzzz.agents import live_agents
    from bzzz.hmmm.peer_queues import PeerQueues

    escalations, _ = _parts()
    resent = escalations.sweep()
    removed = PeerQueues(escalations.settings).remove_orphans(a.agent_id for a in live_agents())
    obs.logger().info("escalation sweep", extra={"due": resent, "orphan_queues": removed})
    return {"due": len(resent), "orphan_queues": len(removed)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" not in event:
        try:
            return _scheduled()
        finally:
            obs.flush()
    return process_fifo_batch(event, context, _record)
