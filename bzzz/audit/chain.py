"""Checking one stream's chain: the first bad entry and why, or nothing.

Checks run per entry in seq order, structure first and keys last, so that a
finding names the cause rather than its knock-on effects:

1. seq is a whole number (a forged `2.5` slipped between 2 and 3 is *inserted*);
2. the item parses (else *changed*);
3. seq follows the previous one (a gap means an entry is *missing*);
4. the hash matches the content: if it matches under another seq the entry
   was *reordered*, else it was *changed* (prev_hash altered, or a field);
5. prev_hash is the previous entry's hash (else *changed*: re-linked);
6. the next entry links past this one (this one was *inserted*);
7. the author has a registered key (else *unknown key*);
8. the signature is the author's (else *bad signature*);
9. in a task's stream, the author may write it at this seq: the lease holder,
   or the control plane (else *not the lease holder*; bzzz.audit.lease).

Cutting entries off the end of a stream leaves a valid, shorter chain: the
stream's signed head (bzzz.audit.head, checked by bzzz.audit.verify) shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bzzz.audit.canonical import GENESIS, entry_hash
from bzzz.audit.keys import signature_valid
from bzzz.audit.lease import LeaseReplay
from bzzz.audit.store import Entry


class Problem(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    REORDERED = "reordered"
    INSERTED = "inserted"
    UNKNOWN_KEY = "unknown key"
    BAD_SIGNATURE = "bad signature"
    NOT_LEASE_HOLDER = "not the lease holder"
    TRUNCATED = "truncated"
    HEAD_MISMATCH = "head mismatch"
    RESERVED_NAME = "reserved name"


@dataclass(frozen=True)
class Finding:
    stream: str
    seq: str  # as stored: a forged seq may not be a whole number
    problem: Problem
    reason: str

    def __str__(self) -> str:
        return f"{self.stream} seq {self.seq}: {self.problem}: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"stream": self.stream, "seq": self.seq, "problem": str(self.problem),
                "reason": self.reason}  # fmt: skip


KeyLookup = Callable[[Entry], str | None]


def first_finding(
    stream: str, entries: Sequence[Entry], key_for: KeyLookup, *, leases: bool = False
) -> tuple[int, Finding | None]:
    """(number of good entries before the first bad one, the finding or None).

    `leases`: also check that each author held the lease (a task's stream).
    """
    prev = GENESIS
    lease = LeaseReplay()
    for index, entry in enumerate(entries):
        expected = index + 1
        problem = _check(entry, expected, prev, entries, index, key_for)
        if problem is None and leases:
            refused = lease.refuse(entry)
            problem = None if refused is None else (Problem.NOT_LEASE_HOLDER, refused)
        if problem is not None:
            kind, reason = problem
            return index, Finding(stream, entry.seq_text or str(entry.seq), kind, reason)
        lease.advance(entry)
        prev = entry.hash
    return len(entries), None


def _check(
    entry: Entry,
    expected: int,
    prev: str,
    entries: Sequence[Entry],
    index: int,
    key_for: KeyLookup,
) -> tuple[Problem, str] | None:
    if entry.seq_text and Decimal(entry.seq_text) != entry.seq:
        return Problem.INSERTED, "seq is not a whole number: no appender writes it"
    if entry.problem:
        return Problem.CHANGED, f"malformed item: {entry.problem}"
    if entry.seq != expected:
        missing = (
            f"seq {expected}" if entry.seq == expected + 1 else f"seq {expected}..{entry.seq - 1}"
        )
        return Problem.MISSING, f"{missing} missing before this entry"
    digest = entry_hash(entry.body())
    if digest != entry.hash:
        written = _written_as(entry, len(entries))
        if written is not None:
            return Problem.REORDERED, f"written as seq {written}, stored as seq {entry.seq}"
        if entry.prev_hash != prev:
            return Problem.CHANGED, f"prev_hash altered: it is not the hash of seq {expected - 1}"
        return Problem.CHANGED, "content does not match its hash: a field was altered"
    if entry.prev_hash != prev:
        return Problem.CHANGED, (
            f"re-linked: prev_hash is not the hash of seq {expected - 1} "
            f"(this entry or seq {expected - 1} was rewritten and re-hashed)"
        )
    following = entries[index + 1] if index + 1 < len(entries) else None
    if following is not None and following.prev_hash == prev:
        return Problem.INSERTED, f"the next entry links to seq {expected - 1}, past this one"
    public_key = key_for(entry)
    if public_key is None:
        return Problem.UNKNOWN_KEY, f"author {entry.author!r} has no registered key"
    if not signature_valid(public_key, digest, entry.signature):
        return Problem.BAD_SIGNATURE, f"the signature is not by {entry.author!r}'s registered key"
    return None


def _written_as(entry: Entry, count: int) -> int | None:
    """The seq under which the entry's content hashes to its stored hash, if another."""
    for seq in range(1, max(count, entry.seq) + 2):
        if seq != entry.seq and entry_hash(entry.body(seq=seq)) == entry.hash:
            return seq
    return None
