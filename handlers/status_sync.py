"""Lambda entry point: a batch of SQS records from the status queue → status sync.

Partial batch failures and invalid records as every SQS function: handlers/sqs_batch.py;
a task's messages of one batch are mirrored together (StatusSync.handle_task).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers import observability as obs
from handlers import snapstart
from handlers.sqs_batch import envelope_of, per_settings, process_fifo_groups

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from bzzz.config import Settings
    from bzzz.messages import Envelope
    from bzzz.status.sync import StatusSync, SyncOutcome


def _build(settings: Settings) -> StatusSync:
    from bzzz.status.sync import build_status_sync

    return build_status_sync(settings)


_parts = per_settings(_build)

# What a SnapStart snapshot is primed with (handlers/snapstart.py): the modules and
# clients the first invocation would otherwise load and make.
SNAPSHOT_MODULES = (
    "bzzz.status.sync",
    "bzzz.github.client",
    "githubkit",
    "aws_lambda_powertools.utilities.data_classes.sqs_event",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
)
SNAPSHOT_CLIENTS = ("dynamodb", "sqs", "sns", "secretsmanager")
snapstart.prime_on_snapshot(SNAPSHOT_MODULES, SNAPSHOT_CLIENTS)


def _group(records: list[SQSRecord]) -> None:
    """One message group's records (a task's messages, in order): mirrored together."""
    sync, bus = _parts()
    by_task: dict[str, list[Envelope]] = {}
    for record in records:
        envelope = envelope_of(record, bus, "status")
        if envelope is None:
            obs.count(obs.SYNC_DEAD_LETTERED)
            continue
        by_task.setdefault(envelope.task, []).append(envelope)
    for task, envelopes in by_task.items():
        obs.bind(task=task, envelope=envelopes[-1].id)
        try:
            outcomes = sync.handle_task(envelopes)
        except Exception:
            obs.count(obs.SYNC_FAILURES)
            obs.logger().exception("status sync failed; the queue will retry")
            raise
        for outcome in outcomes:
            _count(outcome)


def _count(outcome: SyncOutcome) -> None:
    if "claim" in outcome.hive:
        obs.count(obs.CLAIMS_REPORTED)
    if "status" in outcome.hive:
        obs.count(obs.STATUS_REPORTED)
    failed = [kind for kind in outcome.hive if kind.endswith("-failed")]
    if failed:
        obs.count(obs.HIVE_FAILURES, len(failed))
    changed = {"posted": outcome.posted, "edited": outcome.edited, "reacted": outcome.reacted}
    obs.logger().info(
        "status synced",
        extra={
            "outcome": outcome.result,
            "changed": [name for name, done in changed.items() if done],
            "labels": outcome.labels,
            "hive": outcome.hive,
        },
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    obs.adopt_library_logs()
    return process_fifo_groups(event, context, _group)
