"""The reconcile poll's table sweep: expired leases, and queued tasks nobody heard of.

Needs DynamoDB and the bus only, so it runs first and even when GitHub's rate
limit is spent. Both repairs are rules of the state machine (`bzzz.tasks.rules`),
applied through `Lifecycle`; nothing here writes the table itself.

- A claimed or running task whose lease expired (by-state GSI, range key
  `lease_expires_at` < now) `expire`s: back to queued as attempt + 1, or past the
  last attempt it is given up (`give_up`, failed; the caller comments).
- A task queued for longer than `stuck_seconds` may have lost its
  `task.available` (the publish after the table write failed, or runners kept
  failing it into the work DLQ): `republish` announces it again, conditioned on
  it still being stale, so the same task is republished at most once per
  `stuck_seconds`. Claims are conditional writes, so a duplicate announcement
  can never lead to two owners.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bzzz.errors import TransitionError
from bzzz.store.models import Task
from bzzz.tasks.lifecycle import Lifecycle
from bzzz.tasks.states import LEASED, State

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    requeued: list[str] = field(default_factory=list)
    failed: list[Task] = field(default_factory=list)
    republished: list[str] = field(default_factory=list)


def sweep(lifecycle: Lifecycle, now: float, stuck_seconds: float) -> SweepResult:
    result = SweepResult()
    for state in sorted(LEASED):
        for task in Task.by_state.query(state.value, Task.lease_expires_at < now):
            _expire(lifecycle, task, result)
    stale = Task.updated_at < now - stuck_seconds
    for task in Task.by_state.query(State.QUEUED.value, filter_condition=stale):
        try:
            lifecycle.republish(task.key, stale_before=now - stuck_seconds)
        except TransitionError:
            continue  # claimed or announced since the query: not stuck
        result.republished.append(task.key)
    return result


def _expire(lifecycle: Lifecycle, task: Task, result: SweepResult) -> None:
    try:
        after = lifecycle.expire(task.key, int(task.attempt), "lease expired without a heartbeat")
    except TransitionError as refused:
        # A heartbeat, completion or another sweep got there first: nothing to do.
        log.info("not expiring %s: %s", task.key, refused)
        return
    if after.state == State.FAILED.value:
        result.failed.append(after)
    else:
        result.requeued.append(after.key)


def give_up_comment(task: Task, summon_label: str) -> str:
    return (
        f"Bzzz gave up on this issue: {task.reason or 'its agents stopped responding'}.\n\n"
        f"Remove and add the `{summon_label}` label again to start over."
    )
