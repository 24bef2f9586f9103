"""The entry types of the audit log and what their data holds.

One call appends any of them: `AuditLog(settings, signer).append(task_key,
type, data)`. The author is the signer (a runner's agent id, or
`control-plane`). Data must be canonically encodable: integers, strings,
booleans, null, lists and objects; no floats (times are integer epoch
milliseconds, fractions are strings). docs/audit.md has the same table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from bzzz.plain_text import printable

# type -> the data fields its writers record (others may be added).
ENTRY_TYPES: dict[str, tuple[str, ...]] = {
    # State transitions, appended by the lifecycle listener (bzzz.audit.listener):
    # task.<rule> for every audited rule of bzzz.tasks.rules (create, create_missed, claim,
    # take_over, start, complete, fail, escalate, release, expire, give_up,
    # resume, republish, cancel).
    "task.<transition>": (
        "state", "attempt", "version", "lease_owner", "actor", "reason", "pr_url", "branch",
    ),
    # Runner and HMMM.
    "hmmm.plan": ("message_id", "summary", "plan_sha256"),
    "hmmm.feedback": ("message_id", "from", "verdict", "summary"),
    "hmmm.help": ("message_id", "question"),
    # output_tail: the excerpt's end as shown, made by output_tail() (runner.worker.task_worker).
    "command.run": (
        "command", "exit_code", "output_sha256", "output_tail", "duration_ms", "timed_out",
    ),
    # A review round's push also has its round and the pull request's diff fields as
    # pr.opened has them (runner.worker.round_end).
    "git.push": ("branch", "commit", "remote", "round", "partial"),
    # files, additions, deletions and changed (the first CHANGED_KEPT [path, added, removed],
    # null for a binary file): the pushed commit against the base (runner.worker.outcome).
    "pr.opened": (
        "url", "number", "branch", "draft", "files", "additions", "deletions", "changed",
    ),
    # Whether the change is a verified fix (runner.worker.verify), before its PR opens.
    "fix.verified": ("reason",),
    "fix.unverified": ("reason",),
    # A decision record written (bzzz.decisions): its address, the SHA-256 of its
    # plaintext, and the seq of the entry the record itself binds to.
    "decision.recorded": ("address", "record_sha256", "bound_seq"),
    # Control plane.
    "escalation.sent": ("reason", "webhook_status", "comment_url"),
    "human.input": ("login", "comment_url", "body_sha256"),
    # Keys stream `bzzz:keys` only (bzzz.audit.registry.publish_public_key).
    "key.registered": ("public_key",),
}  # fmt: skip


def digest(content: bytes | str) -> str:
    """`sha256:<hex>` of a command's output (or a comment body): record this, not the text."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return "sha256:" + hashlib.sha256(raw).hexdigest()


TAIL_LINES = 20  # of a command's output kept in its command.run entry
TAIL_CHARS = 2000
CHANGED_KEPT = 100  # files listed in a pr.opened entry (the counts cover them all)
PATH_CHARS = 300  # of each listed path


def output_tail(output: str, lines: int = TAIL_LINES, chars: int = TAIL_CHARS) -> str:
    """The end of a command's output as a terminal would leave it: at most `lines` lines and
    `chars` characters (code points, so never half a character), printable but for newlines
    and tabs. A line rewritten with carriage returns (a progress bar) keeps its last state."""
    # Only the end can be kept: a huge output is never scanned whole.
    text = printable(output[-16 * chars :], keep="\n\t\r")
    shown = []
    for line in text.split("\n"):
        parts = [part for part in line.split("\r") if part]
        shown.append(parts[-1] if parts else "")
    while shown and not shown[-1].strip():
        shown.pop()
    return "\n".join(shown[-lines:])[-chars:] if lines > 0 and chars > 0 else ""


def diff_summary(numstat: Iterable[tuple[str, int | None, int | None]]) -> dict[str, Any]:
    """A pr.opened entry's diff fields from (path, added, removed) rows, None for a binary
    file's counts: the totals (binaries counted as 0) and the first CHANGED_KEPT rows, each
    path printable and cut to PATH_CHARS (paths are the repository's, so anyone's)."""
    rows = list(numstat)
    return {
        "files": len(rows),
        "additions": sum(added or 0 for _, added, _ in rows),
        "deletions": sum(removed or 0 for _, _, removed in rows),
        "changed": [
            [printable(path)[:PATH_CHARS], added, removed]
            for path, added, removed in rows[:CHANGED_KEPT]
        ],
    }
