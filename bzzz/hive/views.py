"""Read-side shapes of the Hive-compatible API and of `/api/tasks` and `/api/agents`.

Each function turns one table row into the JSON its response schema in
`bzzz/schemas/` describes; times are RFC 3339 UTC, as Hive writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bzzz.store.models import Agent, Repo, Task
from bzzz.tasks.writes import snapshot


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_ms(epoch: float) -> str:
    """With milliseconds: a claim follows its labelling within the same second."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def repo_view(repo: Repo, github_token_required: bool) -> dict[str, Any]:
    """One entry of `active-repos`, in the field names the original agents read."""
    return {
        "project_id": int(repo.project_id),
        "name": repo.name,
        "git_url": repo.git_url,
        "owner": repo.owner,
        "repository": repo.name,
        "branch": repo.default_branch,
        "bzzz_enabled": bool(repo.enabled),
        "ready_to_claim": bool(repo.enabled),
        "private_repo": bool(repo.private),
        "github_token_required": github_token_required or bool(repo.private),
    }


def task_view(task: Task) -> dict[str, Any]:
    """A task as `/api/tasks` shows it: the message snapshot plus key, times and history."""
    view = {
        "key": task.key,
        **snapshot(task),
        "created_at": rfc3339(float(task.created_at)),
        "updated_at": rfc3339(float(task.updated_at)),
        "history": [
            {"state": str(state), "at": rfc3339_ms(float(at))} for at, state in task.history or ()
        ],
    }
    if task.summoned_at is not None:  # GitHub's time of the labelling (or `/bzzz retry`)
        view["summoned_at"] = rfc3339(float(task.summoned_at))
    return view


def project_task_view(project_id: int, task: Task) -> dict[str, Any]:
    """A task as Hive lists a project's tasks."""
    return {
        "project_id": project_id,
        "task_number": int(task.number),
        "title": task.title,
        "state": task.state,
        "assignee": task.lease_owner,
        "attempt": int(task.attempt),
        "key": task.key,
        "pr_url": task.pr_url,
        "created_at": rfc3339(float(task.created_at)),
        "updated_at": rfc3339(float(task.updated_at)),
    }


def agent_view(agent: Agent) -> dict[str, Any]:
    return {
        "agent_id": agent.agent_id,
        "capabilities": sorted(agent.capabilities or ()),
        "models": sorted(agent.models or ()),
        "capacity": int(agent.capacity),
        "current_tasks": list(agent.current_tasks or ()),
        "last_seen": rfc3339(float(agent.last_seen)),
    }
