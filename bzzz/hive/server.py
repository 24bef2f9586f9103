"""The Hive-compatible API and our own task/agent listings, over our tables.

Request bodies arrive already validated against their schemas (`hive-claim.json`,
`hive-status.json`); this module turns them into lifecycle transitions. A claim
is the same conditional write an agent makes through the bus, so a claim via
this API and one via a runner can never both win.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bzzz.config import Settings
from bzzz.errors import InputError, NotFoundError
from bzzz.hive.views import agent_view, project_task_view, repo_view, task_view
from bzzz.store.models import Agent, Repo, Task
from bzzz.tasks.keys import parse_task_key, task_key
from bzzz.tasks.lifecycle import Lifecycle
from bzzz.tasks.states import State

LIST_LIMIT = 500
# Hive status words -> the lifecycle transition each one means.
STATUS_TRANSITIONS = {
    "claimed": "heartbeat",
    "in_progress": "progress",
    "running": "progress",
    "completed": "complete",
    "failed": "fail",
    "escalated": "escalate",
}


class HiveApi:
    def __init__(
        self,
        settings: Settings,
        lifecycle: Lifecycle,
        *,
        github_token_required: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._lifecycle = lifecycle
        self._token_required = github_token_required
        self._clock = clock

    # ----- Hive-compatible ------------------------------------------------

    def active_repos(self) -> dict[str, Any]:
        repos = [r for r in Repo.scan(limit=LIST_LIMIT) if r.enabled]
        repos.sort(key=lambda r: r.full_name)
        return {"repositories": [repo_view(r, self._token_required) for r in repos]}

    def project(self, project_id: int) -> Repo:
        for repo in Repo.by_project_id.query(project_id, limit=1):
            return repo
        raise NotFoundError("id", f"no project {project_id}")

    def project_tasks(self, project_id: int) -> dict[str, Any]:
        repo = self.project(project_id)
        tasks = Task.by_repo.query(repo.full_name, limit=LIST_LIMIT)
        return {"tasks": [project_task_view(project_id, t) for t in tasks]}

    def claim(self, project_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Claim through the lifecycle; TransitionError (409) when someone holds it."""
        key = task_key(self.project(project_id).full_name, int(body["task_number"]))
        task = self._lifecycle.claim(key, str(body["agent_id"]))
        return {"claimed": True, "task": project_task_view(project_id, task)}

    def report_status(self, project_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Apply a status report as the transition it names, on behalf of the lease owner."""
        key = task_key(self.project(project_id).full_name, int(body["task_number"]))
        details: dict[str, Any] = {**(body.get("results") or {}), **(body.get("metadata") or {})}
        current = self._lifecycle.get(key)
        if current is None:
            raise NotFoundError("task_number", f"no task {key}")
        # The API key is the trust boundary: a report without an agent id speaks
        # for whoever holds the lease.
        agent = str(body.get("agent_id") or details.get("agent_id") or current.lease_owner or "")
        if not agent:
            raise InputError("agent_id", "no agent named and nobody holds the lease")
        transition = STATUS_TRANSITIONS[str(body["status"])]
        if transition == "progress":
            transition = "start" if current.state == State.CLAIMED.value else "heartbeat"
        task = self._apply(transition, key, agent, details)
        return {"accepted": True, "task": project_task_view(project_id, task)}

    def _apply(self, transition: str, key: str, agent: str, details: dict[str, Any]) -> Task:
        lc = self._lifecycle
        reason = str(details.get("reason") or details.get("error") or details.get("message") or "")
        branch = details.get("branch")
        branch = str(branch) if branch else None
        if transition == "heartbeat":
            return lc.heartbeat(key, agent)
        if transition == "start":
            return lc.start(key, agent)
        if transition == "complete":
            pr_url = details.get("pr_url") or details.get("pull_request_url")
            if not pr_url:
                raise InputError("metadata.pr_url", "a completed task names its pull request")
            return lc.complete(key, agent, str(pr_url), branch)
        if transition == "fail":
            return lc.fail(key, agent, reason or "reported failed", branch)
        return lc.escalate(key, agent, reason or "reported escalated")

    # ----- our own listings -----------------------------------------------

    def tasks(self, state: str | None = None) -> dict[str, Any]:
        if state is not None:
            if state not in {s.value for s in State}:
                raise InputError("state", f"unknown state {state!r}")
            found = list(Task.by_state.query(state, limit=LIST_LIMIT))
        else:
            found = list(Task.scan(limit=LIST_LIMIT))
        found.sort(key=lambda t: (t.repo, int(t.number)))
        return {"tasks": [task_view(t) for t in found]}

    def task(self, key: str) -> dict[str, Any]:
        parse_task_key(key)
        task = self._lifecycle.get(key)
        if task is None:
            raise NotFoundError("key", f"no task {key}")
        return task_view(task)

    def task_audit(self, key: str) -> dict[str, Any]:
        """The task's audit stream and whether it verifies; 404 for an unknown task."""
        from bzzz.audit import audit_view

        self.task(key)
        return audit_view(self._settings, key)

    def agents(self) -> dict[str, Any]:
        now = self._clock()
        live = [a for a in Agent.scan(limit=LIST_LIMIT) if _alive(a, now)]
        live.sort(key=lambda a: a.agent_id)
        return {"agents": [agent_view(a) for a in live]}


def _alive(agent: Agent, now: float) -> bool:
    # TTL deletion lags by up to days; an expired row is already gone for us.
    expires = agent.expires_at
    return expires is None or expires.timestamp() > now
