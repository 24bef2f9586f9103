"""The reconcile poll's table sweep: expired leases, and queued tasks nobody heard of.

Needs DynamoDB and the bus only, so it runs first and even when GitHub's rate
limit is spent.

- A claimed or running task whose lease expired (by-state GSI, range key
  `lease_expires_at` < now) is requeued by `Lifecycle.requeue`: attempt + 1, or
  failed past the maximum; a failed one gets a comment (posted by the caller).
- A task queued for longer than `stuck_seconds` may have lost its
  `task.available` (the publish after the table write failed, or runners kept
  failing it into the work DLQ). Its `task.available` is published again, and
  `updated_at` is touched (conditioned on the version, without a new version:
  it is not a transition) so that the same task is republished at most once
  per `stuck_seconds`. Claims are conditional writes, so a duplicate
  announcement can never lead to two owners.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from bzzz.config import Settings
from bzzz.errors import TransitionError
from bzzz.messages import Envelope, MessageType
from bzzz.store.models import Task
from bzzz.tasks.lifecycle import CONTROL_PLANE, Lifecycle, Publisher
from bzzz.tasks.states import LEASED, State
from bzzz.tasks.writes import snapshot

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    requeued: list[str] = field(default_factory=list)
    failed: list[Task] = field(default_factory=list)
    republished: list[str] = field(default_factory=list)


def sweep(
    settings: Settings,
    lifecycle: Lifecycle,
    publisher: Publisher,
    dynamodb: Any,
    now: float,
    stuck_seconds: float,
) -> SweepResult:
    result = SweepResult()
    for state in sorted(LEASED):
        for task in Task.by_state.query(state.value, Task.lease_expires_at < now):
            _requeue(lifecycle, task, result)
    stale = Task.updated_at < now - stuck_seconds
    for task in Task.by_state.query(State.QUEUED.value, filter_condition=stale):
        if _touch(settings, dynamodb, task, now):
            publisher.publish(
                Envelope(
                    type=MessageType.TASK_AVAILABLE,
                    sender=CONTROL_PLANE,
                    task=task.key,
                    data=snapshot(task),
                )
            )
            result.republished.append(task.key)
    return result


def _requeue(lifecycle: Lifecycle, task: Task, result: SweepResult) -> None:
    try:
        after = lifecycle.requeue(task.key, "lease expired without a heartbeat")
    except TransitionError as refused:
        # A heartbeat, completion or another sweep got there first: nothing to do.
        log.info("not requeueing %s: %s", task.key, refused)
        return
    if after.state == State.FAILED.value:
        result.failed.append(after)
    else:
        result.requeued.append(after.key)


def _touch(settings: Settings, dynamodb: Any, task: Task, now: float) -> bool:
    """Move `updated_at` to now if the task is still the queued version we read."""
    try:
        dynamodb.update_item(
            TableName=settings.tasks_table,
            Key={"key": {"S": task.key}},
            UpdateExpression="SET #updated_at = :now",
            ConditionExpression="#state = :queued AND #version = :version",
            ExpressionAttributeNames={
                "#updated_at": "updated_at",
                "#state": "state",
                "#version": "version",
            },
            ExpressionAttributeValues={
                ":now": {"N": str(now)},
                ":queued": {"S": State.QUEUED.value},
                ":version": {"N": str(int(task.version))},
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False  # claimed or changed since the query: not stuck
        raise
    return True


def give_up_comment(task: Task, summon_label: str) -> str:
    return (
        f"Bzzz gave up on this issue: {task.reason or 'its agents stopped responding'}.\n\n"
        f"Remove and add the `{summon_label}` label again to start over."
    )
