"""The signed head of a stream: which seq and hash it ends at, so a cut-off tail shows.

Cutting entries off the end of a hash chain leaves a valid, shorter chain.
So every append, once its entry is written, also writes the stream's head
item (same table, same stream, `seq` 0, below every entry; it also holds
the stream's seq counter, bzzz.audit.log): the last seq,
its hash, its author, and that author's signature over
`canonical({"head_of": stream, "seq": seq, "hash": hash})`. The message
differs from an entry's, so no entry's signature can serve as a head's. The
head only moves forward (a conditional update that leaves the counter alone),
so concurrent appenders leave it at the highest seq written.

A verifier checks that the head names an entry of the chain: normally the
last; behind it if an appender died between its entry and its head. If the head is
ahead of the last entry, entries were cut off; if there is none, it was
deleted (with the tail, or to hide that). What a head cannot show is a
*rollback* of both the tail and the head to an older head the attacker kept:
that needs a copy outside the table (StreamReport.head is the value to
anchor; see docs/audit.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from bzzz.audit.canonical import canonical

HEAD_SEQ = 0  # the range key of the head item: below every entry (entries start at 1)


@dataclass(frozen=True)
class Head:
    stream: str
    seq: int  # the last entry's seq
    hash: str  # the last entry's hash
    author: str  # who appended it, and signed this head
    signature: str

    def digest(self) -> str:
        return head_digest(self.stream, self.seq, self.hash)


def head_digest(stream: str, seq: int, entry_hash: str) -> str:
    """SHA-256 hex of what a head's author signs."""
    body = {"head_of": stream, "seq": seq, "hash": entry_hash}
    return hashlib.sha256(canonical(body)).hexdigest()


def is_head_item(item: dict[str, Any]) -> bool:
    """The stream's item at seq 0: its signed head and its seq counter (either may be absent)."""
    at_zero = str(item.get("seq", {}).get("N")) == str(HEAD_SEQ)
    return at_zero and ("head_seq" in item or "next_seq" in item)


def has_signed_head(item: dict[str, Any]) -> bool:
    """False for a seq-0 item that holds only the counter (no entry has moved the head yet)."""
    return "head_seq" in item


def to_head_item(head: Head) -> dict[str, Any]:
    """The head as a whole seq-0 item (without the counter: tests and tools write it so)."""
    return {
        "stream": {"S": head.stream},
        "seq": {"N": str(HEAD_SEQ)},
        **head_attributes(head),
    }


def head_attributes(head: Head) -> dict[str, Any]:
    return {
        "head_seq": {"N": str(head.seq)},
        "head_hash": {"S": head.hash},
        "author": {"S": head.author},
        "signature": {"S": head.signature},
    }


def head_from_item(item: dict[str, Any]) -> Head:
    """A head item as stored; a malformed one gets seq -1 (it then names no entry)."""
    try:
        seq = int(str(item["head_seq"]["N"]))
    except (KeyError, ValueError):
        seq = -1
    return Head(
        stream=str(item.get("stream", {}).get("S", "")),
        seq=seq,
        hash=str(item.get("head_hash", {}).get("S", "")),
        author=str(item.get("author", {}).get("S", "")),
        signature=str(item.get("signature", {}).get("S", "")),
    )
