"""Status sync's reports to Hive: a claim on `task.claimed`, the status on every message.

Every report carries `task_number` (the original agent left it out and Hive
refused all of them). Hive is a mirror: its failures are logged and returned
as "<kind>-failed", never raised (see bzzz.status.sync).
"""

from __future__ import annotations

import logging
from typing import Any

from bzzz.hive.client import HiveClient, HiveError
from bzzz.messages import Envelope, MessageType
from bzzz.store.models import Task

log = logging.getLogger(__name__)

# Our state → the status word Hive's dashboards know.
HIVE_STATUS = {"running": "in_progress"}


def hive_status(state: str) -> str:
    return HIVE_STATUS.get(state, state)


def report_to_hive(hive: HiveClient, envelope: Envelope, task: Task) -> list[str]:
    number = int(task.number)
    try:
        project_id = hive.project_id(task.repo)
    except HiveError as exc:
        log.warning("Hive unavailable; %s not reported: %s", task.key, exc)
        return ["project-failed"]
    if project_id is None:
        log.info("Hive does not serve %s; not reporting", task.repo)
        return []
    done: list[str] = []
    if envelope.type is MessageType.TASK_CLAIMED:
        agent = str(envelope.data.get("lease_owner") or envelope.sender)
        try:
            accepted = hive.report_claim(project_id, number, agent, float(task.updated_at))
            done.append("claim" if accepted else "claim-known")
        except HiveError as exc:
            log.warning("Hive refused the claim of %s: %s", task.key, exc)
            done.append("claim-failed")
    metadata: dict[str, Any] = {
        "task": task.key,
        "state": task.state,
        "attempt": int(task.attempt),
        "agent": task.lease_owner,
        "message": str(envelope.type),
    }
    for optional in ("pr_url", "branch", "reason"):
        if getattr(task, optional):
            metadata[optional] = getattr(task, optional)
    try:
        hive.report_status(
            project_id, number, hive_status(task.state), float(task.updated_at), metadata
        )
        done.append("status")
    except HiveError as exc:
        log.warning("Hive refused the status of %s: %s", task.key, exc)
        done.append("status-failed")
    return done
