"""The status comment's text and the status label, as pure functions of what status sync knows.

The body depends only on the task and its latest progress (no clock), so
rendering the same facts twice gives the same text and status sync can skip an
edit that would change nothing. The reason and the last command may be the
model's words: they are neutralised (no @mention, no closing keyword).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bzzz.github.neutralise import neutralise

# The comment marker lets a human (or a later tool) find the status comment.
MARKER = "<!-- bzzz:status -->"

# State → the one status label the issue carries; queued and cancelled carry none.
STATUS_LABELS: dict[str, str] = {
    "claimed": "bzzz:claimed",
    "running": "bzzz:claimed",
    "completed": "bzzz:done",
    "failed": "bzzz:failed",
    "escalated": "bzzz:escalated",
}

_HEADLINES = {
    "queued": "👀 Queued: waiting for an agent to claim it",
    "claimed": "🐝 Claimed by an agent",
    "running": "🛠️ An agent is working on it",
    "completed": "✅ Done: a verified fix is in a draft pull request",
    "failed": "❌ Failed",
    "escalated": "🙋 Waiting for a human",
    "cancelled": "🛑 Cancelled",
}


# A completed task's reason says whether its pull request is a verified fix (the runner's
# runner.worker.verify writes "verified fix: ..." or "unverified: ..."); the headline follows.
VERIFIED_NOTE = "verified fix:"
UNVERIFIED_HEADLINE = (
    "⚠️ Done, unverified: a draft pull request is open; nothing shows it fixes the issue"
)


@dataclass(frozen=True)
class StatusView:
    key: str
    state: str
    attempt: int
    max_attempts: int
    version: int
    agent: str | None = None
    pr_url: str | None = None
    branch: str | None = None
    reason: str | None = None
    lease_seconds: int | None = None  # how soon a silent agent's task is queued again
    round: int = 0  # the review round (bzzz.review); 0: the first attempt, from the issue
    max_rounds: int = 0


def _code(text: str, limit: int = 120) -> str:
    flat = " ".join(neutralise(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return "`" + flat.replace("`", "'") + "`"


def _progress_line(progress: dict[str, Any]) -> str | None:
    parts = []
    if progress.get("stage"):
        parts.append(str(progress["stage"]))
    if progress.get("iteration") is not None:
        parts.append(f"step {progress['iteration']}")
    if progress.get("command"):
        parts.append(f"last command {_code(str(progress['command']))}")
    if progress.get("exit_code") is not None:
        parts.append(f"exit code {progress['exit_code']}")
    sent = str(progress.get("sent_at") or "")
    if parts and len(sent) >= 19:  # ISO 8601: when the agent last said so
        parts.append(f"as of {sent[11:19]} UTC")
    return " · ".join(parts) or None


def render(view: StatusView, progress: dict[str, Any] | None = None) -> str:
    rows: list[tuple[str, str]] = [("State", f"`{view.state}`")]
    if view.agent:
        rows.append(("Agent", _code(view.agent)))
    if view.round:
        rows.append(("Review round", f"{view.round} of {view.max_rounds}"))
    rows.append(("Attempt", f"{view.attempt} of {view.max_attempts}"))
    line = _progress_line(progress or {})
    if line and view.state in ("claimed", "running"):
        rows.append(("Progress", line))
    if view.pr_url:
        rows.append(("Pull request", view.pr_url))
    if view.branch:
        rows.append(("Branch", _code(view.branch)))
    completed = view.state == "completed"
    if view.reason:
        name = "Verification" if completed else "Reason"
        rows.append((name, " ".join(neutralise(view.reason).split())[:500]))
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    headline = _HEADLINES.get(view.state, view.state)
    if completed and not (view.reason or "").startswith(VERIFIED_NOTE):
        headline = UNVERIFIED_HEADLINE
    # A runner that dies cannot say so: the lease is what ends its claim, and the reader
    # should know how long "working on it" can outlive a dead agent.
    silent = ""
    if view.state in ("claimed", "running") and view.lease_seconds:
        minutes = max(1, round(view.lease_seconds / 60))
        silent = (
            f"If the agent stops reporting, its claim lapses within about {minutes} "
            "minute(s) and the task is queued for another agent.\n\n"
        )
    return (
        f"{MARKER}\n### Bzzz: {headline}\n\n| | |\n|---|---|\n{table}\n\n{silent}"
        f"<sub>This comment is kept up to date by Bzzz · task `{view.key}` · "
        f"version {view.version}</sub>"
    )
