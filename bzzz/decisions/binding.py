"""A record bound to its task's audit stream, both ways, and the check of that binding.

Writing: the record carries the stream's signed head as it stood (`audit_point`:
seq and hash), and once stored, the runner appends `decision.recorded` to the
stream with the record's address and the SHA-256 of its plaintext. Showing
(`check_binding`): the stream must verify (bzzz.audit.verify_entries: chain,
signatures, head), the entry the record names must be in it with that hash,
and the stream's latest `decision.recorded` for this address must name this
very plaintext. The second half is what age cannot give: anyone with the public
recipients can encrypt a record, but only the runner holding the lease signs
its digest into the stream; and an older version put back is not the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bzzz.decisions.errors import BindingError
from bzzz.decisions.record import AuditPoint, DecisionRecord, digest

if TYPE_CHECKING:
    from bzzz.audit.store import Entry
    from bzzz.config import Settings
    from bzzz.secrets import SecretStore

RECORDED = "decision.recorded"


def audit_point(settings: Settings, stream: str) -> AuditPoint:
    """The task stream's head now: its signed head if it has one, else its last entry."""
    from bzzz.audit.store import AuditStore

    entries, head = AuditStore(settings).read(stream)
    if head is not None:
        return AuditPoint(stream, head.seq, head.hash)
    if entries:
        return AuditPoint(stream, entries[-1].seq, entries[-1].hash)
    return AuditPoint(stream, 0, None)


def recorded_data(record: DecisionRecord, plaintext: bytes) -> dict[str, object]:
    """The data of the `decision.recorded` entry for a record just stored."""
    return {"address": record.address, "record_sha256": digest(plaintext),
            "bound_seq": record.audit.seq}  # fmt: skip


@dataclass(frozen=True)
class Binding:
    stream: str
    bound_seq: int
    recorded_seq: int  # the `decision.recorded` entry naming this plaintext

    def describe(self) -> str:
        return (f"bound to {self.stream} seq {self.bound_seq}; its digest signed at seq "
                f"{self.recorded_seq}; the stream verifies")  # fmt: skip


def check_binding(
    settings: Settings,
    record: DecisionRecord,
    plaintext: bytes,
    *,
    secrets: SecretStore | None = None,
) -> Binding:
    """Raise BindingError unless the record sits in its task's verified stream (see above)."""
    from bzzz.audit import load_registry, verify_entries
    from bzzz.audit.store import AuditStore

    stream = record.task
    if record.audit.stream != stream:
        raise BindingError(f"the record binds stream {record.audit.stream!r}, not its task's")
    entries, head = AuditStore(settings).read(stream)
    report = verify_entries(stream, entries, load_registry(settings, secrets), head)
    if report.finding is not None:
        finding = report.finding
        raise BindingError(
            f"the task's audit stream does not verify (seq {finding.seq}: {finding.reason})"
        )
    return binding_in(record, plaintext, entries)


def binding_in(record: DecisionRecord, plaintext: bytes, entries: list[Entry]) -> Binding:
    """The binding checks on entries already verified (in seq order)."""
    point = record.audit
    if point.seq > len(entries) or (point.seq == 0) != (point.hash is None):
        raise BindingError(f"the record names seq {point.seq}, which the stream does not hold")
    if point.seq and entries[point.seq - 1].hash != point.hash:
        raise BindingError(f"the record's audit hash is not the stream's entry at seq {point.seq}")
    recorded = [
        e for e in entries if e.type == RECORDED and e.data.get("address") == record.address
    ]
    if not recorded:
        raise BindingError("the stream has no decision.recorded entry for this address")
    latest = recorded[-1]
    if latest.data.get("record_sha256") != digest(plaintext):
        older = any(e.data.get("record_sha256") == digest(plaintext) for e in recorded[:-1])
        why = "an older record put back" if older else "not the record the runner signed"
        raise BindingError(f"the record's digest differs from the stream's latest ({why})")
    if latest.author != record.runner:
        raise BindingError(f"the digest was signed by {latest.author!r}, not the record's runner")
    if latest.seq <= point.seq or latest.data.get("bound_seq") != point.seq:
        raise BindingError("the decision.recorded entry does not follow the entry bound")
    return Binding(record.task, point.seq, latest.seq)
