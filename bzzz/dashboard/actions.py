"""The dashboard's few actions: each is an existing rule or command, on a writer's word.

Cancel applies the lifecycle's `cancel` rule as `/bzzz stop` does
(bzzz.intake.issues.cancel); retry resumes an escalated task as `/bzzz retry` does
(a finished task needs `/bzzz retry` on the issue, which re-approves the issue's
text); redrive is `bzzz dlq redrive`, for operators only: a queue holds every
repository's messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bzzz.dashboard.access import Access, ForbiddenError
from bzzz.errors import InputError, TransitionError
from bzzz.tasks.states import State

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.dead_letters import Redrive
    from bzzz.tasks.lifecycle import Lifecycle


def _repo(lifecycle: Lifecycle, access: Access, key: str) -> str:
    task = lifecycle.get(key)
    if task is None:
        raise ForbiddenError("key", "no such task")
    access.require_write(str(task.repo))
    return str(task.state)


def cancel(lifecycle: Lifecycle, access: Access, key: str) -> str:
    """Cancel an active task; the answer says what happened (for the page's notice)."""
    from bzzz.intake.issues import cancel as cancel_on_word

    _repo(lifecycle, access, key)
    outcome = cancel_on_word(
        lifecycle, key, f"cancelled on the dashboard by {access.actor}", access.actor
    )
    return outcome.reason


def retry(lifecycle: Lifecycle, access: Access, key: str) -> str:
    from bzzz.tasks.lifecycle import Actor

    state = _repo(lifecycle, access, key)
    if state != State.ESCALATED.value:
        raise InputError(
            "key",
            f"task is {state}: only an escalated task is retried here; "
            "comment `/bzzz retry` on the issue to run a finished one again",
        )
    try:
        lifecycle.resume(
            key, f"retried on the dashboard by {access.actor}", Actor.human(access.actor)
        )
    except TransitionError as exc:
        return f"task already {exc.state}"
    return "task queued again"


def redrive(settings: Settings, access: Access, queue: str) -> Redrive:
    from bzzz.dead_letters import DeadLetters

    if not access.operator:
        raise ForbiddenError("queue", "redriving a queue is for operators (API key sign-in)")
    letters = DeadLetters(settings)
    if queue not in letters.queues():
        raise InputError("queue", f"unknown queue {queue!r}")
    return letters.redrive(queue)
