"""Verifying streams against the key registry: a typed report, never an exception.

A broken chain is a finding, returned in the report; only a failure to read
(the table is unreachable, the configuration is wrong) raises.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bzzz.audit.chain import Finding, first_finding
from bzzz.audit.registry import KEYS_STREAM, KeyRegistry, load_registry, self_signed_key
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


def verify_entries(stream: str, entries: Sequence[Entry], registry: KeyRegistry) -> StreamReport:
    """Check entries already read (in seq order) against `registry`."""
    if stream == KEYS_STREAM:
        # Registrations are self-signed: each proves possession of the key it registers.
        _, finding = first_finding(stream, entries, self_signed_key)
    else:
        _, finding = first_finding(stream, entries, lambda e: registry.public_key(e.author))
    head = entries[-1].hash if entries else None
    return StreamReport(stream, len(entries), head, finding)


def verify_stream(
    settings: Settings,
    stream: str,
    *,
    registry: KeyRegistry | None = None,
    secrets: SecretStore | None = None,
) -> StreamReport:
    """Verify one stream (a task key); loads the registry unless given one."""
    entries = AuditStore(settings).stream(stream)
    registry = registry or load_registry(settings, secrets)
    return verify_entries(stream, entries, registry)


def verify_all(settings: Settings, *, secrets: SecretStore | None = None) -> list[StreamReport]:
    """Verify every stream in the table (the keys stream included), in stream order."""
    streams: dict[str, list[Entry]] = defaultdict(list)
    for entry in AuditStore(settings).scan():
        streams[entry.stream].append(entry)
    for entries in streams.values():
        entries.sort(key=lambda e: (e.seq, e.seq_text))
    registry = load_registry(settings, secrets, keys_stream=streams.get(KEYS_STREAM, []))
    return [verify_entries(name, streams[name], registry) for name in sorted(streams)]
