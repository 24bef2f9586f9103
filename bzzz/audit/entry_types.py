"""The entry types of the audit log and what their data holds.

One call appends any of them: `AuditLog(settings, signer).append(task_key,
type, data)`. The author is the signer (a runner's agent id, or
`control-plane`). Data must be canonically encodable: integers, strings,
booleans, null, lists and objects; no floats (times are integer epoch
milliseconds, fractions are strings). docs/audit.md has the same table.
"""

from __future__ import annotations

import hashlib

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
    "command.run": ("command", "exit_code", "output_sha256", "duration_ms", "timed_out"),
    "git.push": ("branch", "commit", "remote"),
    "pr.opened": ("url", "number", "branch", "draft"),
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
