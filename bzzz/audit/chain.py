"""Checking one stream's chain: the first bad entry and why, or nothing.

Checks run per entry in seq order, structure first and keys last, so that a
finding names the cause rather than its knock-on effects:

1. seq is a whole number (a forged `2.5` slipped between 2 and 3 is *inserted*);
2. the item parses (else *changed*);
3. seq follows the previous one (a gap means an entry is *missing*);
4. the hash matches the content: if it matches under another seq the entry
   was *reordered*, else it was *changed* (prev_hash altered, or a field);
5. prev_hash is the hash of an earlier entry, or GENESIS (else *changed*:
   re-linked); seq 1 can only link to GENESIS. An appender links to the
   newest entry it knew of when it took its seq (bzzz.audit.log): entry
   n - 1 when writers take turns, an older one when several write at once;
6. the next entry was written under this one's seq (this one was *inserted*
   and the rest shifted up);
7. the author has a registered key (else *unknown key*);
8. the signature is the author's (else *bad signature*);
9. in a task's stream, the author may write it at this seq: the lease holder,
   or the control plane (else *not the lease holder*; bzzz.audit.lease).

The seqs, not the links, make a stream complete: every seq from 1 on is
covered by its entry's hash and signature, so a deleted entry leaves a gap
(*missing*) and a moved one hashes under its old seq (*reordered*). Cutting
entries off the end leaves a valid, shorter stream: the stream's signed head
(bzzz.audit.head, checked by bzzz.audit.verify) shows it.
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
    seen: dict[str, int] = {GENESIS: 0}  # hash -> seq of the entries checked so far
    lease = LeaseReplay()
    for index, entry in enumerate(entries):
        expected = index + 1
        problem = _check(entry, expected, seen, entries, index, key_for)
        if problem is None and leases:
            refused = lease.refuse(entry)
            problem = None if refused is None else (Problem.NOT_LEASE_HOLDER, refused)
        if problem is not None:
            kind, reason = problem
            return index, Finding(stream, entry.seq_text or str(entry.seq), kind, reason)
        lease.advance(entry)
        seen[entry.hash] = entry.seq
    return len(entries), None


def _check(
    entry: Entry,
    expected: int,
    seen: dict[str, int],
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
        if entry.prev_hash not in seen:
            return Problem.CHANGED, "prev_hash altered: it is not the hash of an earlier entry"
        return Problem.CHANGED, "content does not match its hash: a field was altered"
    if entry.prev_hash not in seen:
        return Problem.CHANGED, (
            "re-linked: prev_hash is not the hash of an earlier entry "
            "(this entry or the one it linked to was rewritten and re-hashed)"
        )
    following = entries[index + 1] if index + 1 < len(entries) else None
    # (A next entry stored under this seq's floor, like 2.5, is flagged at its own turn.)
    if (
        following is not None
        and following.seq > expected
        and entry_hash(following.body(seq=expected)) == following.hash
    ):
        linked = seen.get(following.prev_hash)
        past = f" and links to seq {linked}, past this one" if linked is not None else ""
        return Problem.INSERTED, f"the next entry was written as seq {expected}{past}"
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
