"""The N8N-compatible escalation payload, and the id of one thread round's escalation.

Fields: `task_id`, `task_title`, `escalation_agent`, `reason`, `history` (the
original Bzzz's N8N payload), plus `question`, `repo`, `issue_number`,
`issue_url`, `round`, `thread` (the discussion as a collapsed Markdown section)
and `escalation_id` (also the `Idempotency-Key` header).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from bzzz import threads
from bzzz.messages import Envelope

if TYPE_CHECKING:
    from bzzz.github import IssueInfo


def round_id(task_key: str, number: int) -> str:
    """One id per thread round: the webhook's idempotency key and the message's dedup id."""
    return hashlib.sha256(f"{task_key}|escalation|{number}".encode()).hexdigest()[:32]


def build_payload(
    info: IssueInfo,
    task_key: str,
    help_request: Envelope,
    number: int,
    reason: str,
    thread: list[threads.Entry],
) -> dict[str, Any]:
    repo, _, issue = task_key.rpartition("#")
    history = [
        {"seq": e.seq, "ts": e.ts, "sender": e.sender, "type": e.type, "text": e.text}
        for e in thread
    ]
    return {
        "task_id": task_key,
        "task_title": info.title,
        "escalation_agent": help_request.sender,
        "reason": reason,
        "question": str(help_request.data.get("text", "")),
        "history": history,
        "repo": repo,
        "issue_number": int(issue),
        "issue_url": info.html_url,
        "round": number,
        "thread": threads.render_details(thread),
        "escalation_id": round_id(task_key, number),
    }
