"""Each dashboard page's content, from the functions that already read the tables.

Nothing here queries a table itself: tasks and agents come from `HiveApi` (the same
listing as `/api/tasks` and `/api/agents`), threads from `bzzz.threads.entries`, the
audit stream and its verdict from `bzzz.audit.audit_view`, queues from
`bzzz.dead_letters`. What a viewer may not read is left out here, not in a template.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bzzz.dashboard.access import Access
from bzzz.dashboard.charts import Charts, charts, epoch
from bzzz.tasks.states import State

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.hive.server import HiveApi

STATES = [s.value for s in State]
# The listing's clock (ages); a module attribute so that a test can hold it still.
clock: Callable[[], float] = time.time
ACTIVE = {"queued", "claimed", "running", "escalated"}


@dataclass
class TaskList:
    rows: list[dict[str, Any]]
    counts: dict[str, int]  # every state, zero included, over the viewer's tasks
    repos: list[str]
    agents: list[str]
    filters: dict[str, str] = field(default_factory=dict)
    charts: Charts | None = None  # over the viewer's tasks, as the counts


log = logging.getLogger(__name__)


def task_list(
    hive: HiveApi,
    access: Access,
    *,
    state: str = "",
    repo: str = "",
    agent: str = "",
    now: float | None = None,
) -> TaskList:
    """The viewer's tasks, filtered; counts are per state before the state filter."""
    at = clock() if now is None else now
    mine = [t for t in hive.tasks()["tasks"] if access.reads(t["repo"])]
    counts = Counter(t["state"] for t in mine)
    rows = [
        {**t, "age_seconds": max(0.0, at - epoch(t["created_at"]))}
        for t in mine
        if (not state or t["state"] == state)
        and (not repo or t["repo"].lower() == repo.lower())
        and (not agent or t.get("lease_owner") == agent)
    ]
    # Active work first, newest first within each group: what an operator looks for.
    rows.sort(key=lambda t: (t["state"] not in ACTIVE, -epoch(t["updated_at"])))
    return TaskList(
        rows=rows,
        counts={s: counts.get(s, 0) for s in STATES},
        repos=sorted({t["repo"] for t in mine}),
        agents=sorted({str(t["lease_owner"]) for t in mine if t.get("lease_owner")}),
        filters={"state": state, "repo": repo, "agent": agent},
        charts=charts(mine, at),
    )


def task_page(
    settings: Settings, hive: HiveApi, access: Access, key: str, *, records: bool = True
) -> dict[str, Any]:
    """One task: its row, timeline, discussion, commands and their output tails (writers
    only), its pull request's diff summary, and audit verdict; with `records`, its decision
    records (S3 requests: a page load's, not every poll's)."""
    from bzzz.audit import audit_view
    from bzzz.threads import entries

    task = hive.task(key)  # NotFoundError for an unknown (or malformed) key
    access.require_read(task["repo"])
    writer = access.writes(task["repo"])
    audit = audit_view(settings, key)
    timeline, commands, shown = [], [], []
    diff: dict[str, Any] | None = None
    for entry in audit["entries"]:
        data = entry["data"]
        if entry["type"].startswith("task."):
            timeline.append(
                {
                    "transition": entry["type"].removeprefix("task."),
                    "ts": entry["ts"],
                    "who": data.get("actor") or entry["author"],
                    "state": data.get("state"),
                    "attempt": data.get("attempt"),
                    "reason": data.get("reason"),
                }
            )
        if entry["type"] == "command.run":
            # The whole data goes, the command and its output tail with it.
            if not writer:
                entry = {**entry, "data": {"hidden": "shown to writers of the repository only"}}
            else:
                commands.append(
                    {**data, "ts": entry["ts"], "author": entry["author"], "seq": entry["seq"]}
                )
        if entry["type"] == "pr.opened" and data.get("url") == task.get("pr_url"):
            diff = _diff_summary(data)  # the last opening of the pull request the page links
        elif _round_push(entry["type"], data, task):
            diff = _diff_summary(data) or diff  # a review round's push onto it, since
        shown.append(entry)
    return {
        "task": task,
        "writer": writer,
        "issue_url": f"{_web(settings)}/{task['repo']}/issues/{task['number']}",
        "timeline": timeline,
        "thread": entries(key),
        "commands": commands,
        # Beside the pull request's link, to whoever sees the link: it is on the PR anyway.
        "diff": diff if task.get("pr_url") else None,
        "audit": {**audit, "entries": shown},
        "rounds": int(task.get("round") or 0),
        "decisions": (
            _decision_records(settings, task["repo"], int(task["number"])) if records else None
        ),
    }


def _round_push(kind: str, data: dict[str, Any], task: dict[str, Any]) -> bool:
    """Whether the entry is a review round's push onto the branch of the task's pull
    request (runner.worker.round_end: it carries the pull request's diff stat then)."""
    return (
        kind == "git.push"
        and data.get("round") is not None
        and bool(task.get("branch"))
        and data.get("branch") == task.get("branch")
    )


def _diff_summary(data: dict[str, Any]) -> dict[str, Any] | None:
    """A pr.opened (or round git.push) entry's diff fields (bzzz.audit.diff_summary), or
    None for an entry without them (written before they existed, or when the stat could
    not be read)."""

    def count(value: Any) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    files = count(data.get("files"))
    if files is None or not isinstance(data.get("changed"), list):
        return None
    changed = [
        {"path": str(row[0]), "added": count(row[1]), "removed": count(row[2])}
        for row in data["changed"]
        if isinstance(row, list) and len(row) == 3
    ]
    return {
        "files": files,
        "additions": count(data.get("additions")) or 0,
        "deletions": count(data.get("deletions")) or 0,
        "changed": changed,
        "more": max(0, files - len(changed)),
    }


def _decision_records(settings: Settings, repo: str, number: int) -> dict[str, Any]:
    """That the task's decision records exist and for which roles; never their content."""
    from bzzz.decisions.summary import records_of

    try:
        records = records_of(settings, repo, number)
    except Exception:  # the bucket away: the page still shows the rest
        log.warning("decision records of %s#%d could not be listed", repo, number, exc_info=True)
        return {"kept": bool(settings.decisions_bucket), "records": [], "unavailable": True}
    return {"kept": bool(settings.decisions_bucket), "unavailable": False,
            "records": [r.to_json() for r in records]}  # fmt: skip


def _web(settings: Settings) -> str:
    return settings.github_web_url.rstrip("/")


def fleet(
    settings: Settings, hive: HiveApi, access: Access, *, reasons: bool = True
) -> dict[str, Any]:
    """Live runners (their current tasks only where the viewer reads them) and the queues.

    `reasons`: list why each dead letter is there (operators only). Listing receives the
    messages and makes them visible again, so a page's polls leave it out.
    """
    from bzzz.dead_letters import DeadLetters

    agents = []
    for agent in hive.agents()["agents"]:
        current = [k for k in agent["current_tasks"] if access.reads(k.split("#", 1)[0])]
        agents.append({**agent, "current_tasks": current})
    letters = DeadLetters(settings)
    queues = []
    for queue in letters.queues():
        row: dict[str, Any] = {"name": queue, "depth": letters.source_depth(queue)}
        dlq = letters.inspect(queue) if access.operator and reasons else None
        row["dead"] = dlq.depth if dlq else letters.depth(queue)
        # Reasons name tasks of every repository: operators only.
        row["reasons"] = [vars(m) for m in dlq.messages] if dlq else []
        queues.append(row)
    return {"agents": agents, "queues": queues}
