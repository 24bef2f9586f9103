"""Verifying streams against the key registry: a typed report, never an exception.

A broken chain is a finding, returned in the report; only a failure to read
(the table is unreachable, the configuration is wrong) raises. Per stream:
the chain (bzzz.audit.chain, with the lease rules of bzzz.audit.lease in a
task's stream), then its signed head (bzzz.audit.head), which shows a tail
cut off; in the keys stream, a registration of a reserved name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bzzz.audit.chain import Finding, KeyLookup, Problem, first_finding
from bzzz.audit.head import Head
from bzzz.audit.keys import signature_valid
from bzzz.audit.registry import (
    KEYS_STREAM,
    RESERVED_AUTHORS,
    KeyRegistry,
    load_registry,
    self_signed_key,
)
from bzzz.audit.store import AuditStore, Entry
from bzzz.config import Settings
from bzzz.secrets import SecretStore


@dataclass(frozen=True)
class StreamReport:
    stream: str
    entries: int
    head: str | None  # hash of the last entry: what an external anchor would record
    finding: Finding | None

    @property
    def ok(self) -> bool:
        return self.finding is None


def verify_entries(
    stream: str,
    entries: Sequence[Entry],
    registry: KeyRegistry,
    head: Head | None = None,
) -> StreamReport:
    """Check entries already read (in seq order), and the stream's head, against `registry`."""
    if stream == KEYS_STREAM:
        # Registrations are self-signed: each proves possession of the key it registers.
        key_for: KeyLookup = self_signed_key
        _, finding = first_finding(stream, entries, key_for)
        finding = finding or _reserved_registration(stream, entries)
    else:
        key_for = lambda e: registry.public_key(e.author)  # noqa: E731
        _, finding = first_finding(stream, entries, key_for, leases=True)
    finding = finding or _head_finding(stream, entries, head, key_for)
    last = entries[-1].hash if entries else None
    return StreamReport(stream, len(entries), last, finding)


def _reserved_registration(stream: str, entries: Sequence[Entry]) -> Finding | None:
    for entry in entries:
        if entry.author in RESERVED_AUTHORS:
            return Finding(
                stream,
                str(entry.seq),
                Problem.RESERVED_NAME,
                f"{entry.author!r} is reserved; its key is pinned at deploy",
            )
    return None


def _head_finding(
    stream: str, entries: Sequence[Entry], head: Head | None, key_for: KeyLookup
) -> Finding | None:
    """Whether the signed head names an entry of this (otherwise sound) chain, the last one or
    an earlier one: an appender writes its entry, then moves the head, so one that died in
    between leaves the head one entry behind. Entries past the head are then checked as
    chain links only; a tail cut off up to the head is not seen.
    """
    last = entries[-1] if entries else None
    if head is None:
        if last is None:
            return None
        return Finding(
            stream,
            str(last.seq),
            Problem.TRUNCATED,
            "the stream has no signed head: it was deleted, and the tail "
            "may have been cut off with it",
        )
    last_seq = last.seq if last else 0
    if head.seq > last_seq:
        cut = f"seq {last_seq + 1}" + (f"..{head.seq}" if head.seq > last_seq + 1 else "")
        return Finding(
            stream,
            str(head.seq),
            Problem.TRUNCATED,
            f"the signed head is at seq {head.seq}, the stream ends at seq "
            f"{last_seq}: {cut} cut off",
        )
    if last is None or head.seq < 1:
        return Finding(
            stream,
            str(head.seq),
            Problem.HEAD_MISMATCH,
            f"the signed head names no entry (seq {head.seq})",
        )
    at = entries[head.seq - 1]  # the chain is sound, so entry n sits at index n - 1
    if head.hash != at.hash or head.author != at.author:
        return Finding(
            stream,
            str(head.seq),
            Problem.HEAD_MISMATCH,
            "the signed head does not name this entry (hash or author differ)",
        )
    public_key = key_for(at)
    if public_key is None or not signature_valid(public_key, head.digest(), head.signature):
        return Finding(
            stream,
            str(head.seq),
            Problem.HEAD_MISMATCH,
            f"the head's signature is not by {head.author!r}'s registered key",
        )
    return None


def verify_stream(
    settings: Settings,
    stream: str,
    *,
    registry: KeyRegistry | None = None,
    secrets: SecretStore | None = None,
) -> StreamReport:
    """Verify one stream (a task key); loads the registry unless given one."""
    entries, head = AuditStore(settings).read(stream)
    registry = registry or load_registry(settings, secrets)
    return verify_entries(stream, entries, registry, head)


def verify_all(settings: Settings, *, secrets: SecretStore | None = None) -> list[StreamReport]:
    """Verify every stream in the table (the keys stream included), in stream order."""
    streams: dict[str, list[Entry]] = defaultdict(list)
    heads: dict[str, Head] = {}
    for item in AuditStore(settings).scan():
        if isinstance(item, Head):
            heads[item.stream] = item
        else:
            streams[item.stream].append(item)
    for entries in streams.values():
        entries.sort(key=lambda e: (e.seq, e.seq_text))
    registry = load_registry(settings, secrets, keys_stream=streams.get(KEYS_STREAM, []))
    names = sorted(set(streams) | set(heads))
    return [verify_entries(name, streams[name], registry, heads.get(name)) for name in names]
