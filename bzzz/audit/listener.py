"""The lifecycle hook: one audit entry per successful transition.

    lifecycle = Lifecycle(settings, publisher=bus, listeners=[audit_listener(log)])

The entry goes to the task's stream, typed `task.<transition>`, signed by the
log's signer. The transition's actor is recorded in the data; in a runner it
is the runner itself, in the control plane `control-plane`. The listener runs
after the conditional write committed, so an append failure raises to the
caller with the transition already made (like a failed publish).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bzzz.audit.log import AuditLog
    from bzzz.store.models import Task
    from bzzz.tasks.lifecycle import Listener


def transition_data(transition: str, task: Task, actor: str) -> dict[str, Any]:
    """What the entry records; floats (lease expiry) become integer milliseconds."""
    data: dict[str, Any] = {
        "state": task.state,
        "attempt": int(task.attempt),
        "version": int(task.version),
        "actor": actor,
        "lease_owner": task.lease_owner,
        "lease_expires_at_ms": round(float(task.lease_expires_at or 0) * 1000) or None,
        "reason": task.reason,
        "pr_url": task.pr_url,
        "branch": task.branch,
    }
    return {name: value for name, value in data.items() if value is not None}


def audit_listener(log: AuditLog) -> Listener:
    def listen(transition: str, task: Task, actor: str) -> None:
        data = transition_data(transition, task, actor)
        # A task is created far more often than created again: its stream is likely new.
        log.append(task.key, f"task.{transition}", data, fresh=transition == "create")

    return listen
