"""A decision record as text for a terminal: readable, and with no escape sequence let through."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bzzz.decisions import DecisionRecord

CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F] if chr(c) not in "\n\t"}


def render(record: DecisionRecord) -> str:
    o = record.outcome
    lines = [
        f"{record.address}  ({record.task}, attempt {record.attempt}"
        + (f", review round {record.round}" if record.round else "") + f", by {record.runner})",
        f"outcome: {o.result} ({o.kind})" + (f" — {o.pr_url}" if o.pr_url else ""),
        *(f"{name}: {value}" for name, value in (("reason", o.reason), ("question", o.question),
          ("branch", o.branch), ("verification", o.verification)) if value),
        f"tokens: {record.tokens}; {when(record.times.started_at)} .. "
        f"{when(record.times.ended_at)}",
        f"audit: {record.audit.stream} seq {record.audit.seq} {record.audit.hash or ''}",
        "", "summary:", record.summary, "", "plan:", record.plan or "(none)", "",
        f"discussion (HMMM, {len(record.hmmm)} messages):",
        *(f"  [{m.seq}] {m.sender} {m.type}: {m.text}" for m in record.hmmm),
        "", f"commands ({len(record.commands)}, {record.commands_dropped} not kept):",
    ]  # fmt: skip
    for c in record.commands:
        lines += [f"$ {c.command}  [exit {c.exit_code}]", c.output.rstrip()]
    lines += ["", "diff" + (" (cut)" if record.diff.truncated else "") + ":", record.diff.text]
    return "\n".join(lines)


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def safe(text: str) -> str:
    """A record holds what a repository and a model wrote: no terminal escapes get through."""
    return text.translate(CONTROL)
