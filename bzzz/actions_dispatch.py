"""Actions mode's dispatch: the control plane starts the repository's Bzzz workflow for a task.

For an installation set to Actions (BZZZ_ACTIONS_DISPATCH), each `task.available` of a
queued task becomes a `repository_dispatch` of type `bzzz-task` with the task's key; the
workflow's job claims it with the same conditional write a runner daemon uses, so a
repeated dispatch (a republished task, a redelivered message) starts a job that finds the
task taken and ends. The payload names the task only: the job reads everything else from
the tables, and checks that the key is of its own repository.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bzzz.github import GitHubApi
    from bzzz.store.models import Task

DISPATCH_EVENT_TYPE = "bzzz-task"


def dispatch_task(github: GitHubApi, task: Task) -> None:
    payload = {"task": str(task.key), "attempt": int(task.attempt)}
    github.dispatch(str(task.repo), DISPATCH_EVENT_TYPE, payload)
