"""Start the review rounds whose feedback has been quiet long enough: the debounce.

Feedback only accumulates on the task (bzzz.review.feedback); nothing starts a
round at delivery time, so eleven deliveries of one review cannot start
eleven rounds. `fire_due` runs on the scheduler (the reconcile poll in AWS, a
short timer in the local supervisor): for every completed or failed task
whose feedback was last added more than `review_quiet_seconds` ago, it
applies the `revise` rule, whose one conditional write checks the quiet
period, the open pull request and the rounds left, queues the task as round
N + 1 (attempt 1 of it) with the feedback it answers, and removes the waiting
feedback. A delivery arriving in between moves `feedback_last_at` on and the
write is refused: the round starts on a later run, with that feedback too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bzzz.config import Settings
from bzzz.errors import TransitionError
from bzzz.review.feedback import Feedback
from bzzz.store.models import Task
from bzzz.tasks.lifecycle import Lifecycle
from bzzz.tasks.states import State

log = logging.getLogger(__name__)


@dataclass
class RoundsSummary:
    started: int = 0
    waiting: int = 0  # refused: more feedback came, or the task changed meanwhile
    exhausted: int = 0  # no rounds left: the feedback was dropped


def finished_tasks(
    settings: Settings,
    dynamodb: Any,
    condition: str,
    names: dict[str, str],
    values: dict[str, Any],
) -> list[Task]:
    """Completed and failed tasks matching `condition` (by-state index, every page)."""
    found = []
    for state in (State.COMPLETED, State.FAILED):
        query: dict[str, Any] = {
            "TableName": settings.tasks_table,
            "IndexName": "by-state",
            "KeyConditionExpression": "#state = :state",
            "FilterExpression": condition,
            "ExpressionAttributeNames": {"#state": "state", **names},
            "ExpressionAttributeValues": {":state": {"S": state.value}, **values},
        }
        while True:
            reply = dynamodb.query(**query)
            found += [Task.from_raw_data(item) for item in reply.get("Items", [])]
            if "LastEvaluatedKey" not in reply:
                break
            query["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    return found


def due(settings: Settings, dynamodb: Any, quiet_before: float) -> list[Task]:
    """Finished tasks with feedback older than `quiet_before` (by-state index, filtered)."""
    return finished_tasks(
        settings, dynamodb, "#last < :quiet_before", {"#last": "feedback_last_at"},
        {":quiet_before": {"N": str(quiet_before)}},
    )  # fmt: skip


def fire_due(
    settings: Settings, lifecycle: Lifecycle, dynamodb: Any, clock: Callable[[], float]
) -> RoundsSummary:
    summary = RoundsSummary()
    quiet_before = round(clock(), 3) - settings.review_quiet_seconds
    feedback = Feedback(settings, dynamodb)
    for task in due(settings, dynamodb, quiet_before):
        items = sorted(task.feedback or ())
        next_round = int(task.round or 0) + 1
        if next_round > settings.max_review_rounds:
            if feedback.discard(str(task.key), float(task.feedback_last_at or 0)):
                summary.exhausted += 1
                log.warning("%s: review feedback dropped: no rounds left", task.key)
            continue
        reason = f"review round {next_round}: {len(items)} piece(s) of feedback"
        try:
            lifecycle.revise(str(task.key), json.dumps(items), quiet_before, reason)
        except TransitionError as exc:
            summary.waiting += 1
            log.info("%s: review round not started: %s", task.key, exc.reason)
            continue
        summary.started += 1
    return summary
