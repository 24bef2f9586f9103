"""What the HTTP API serves at `GET /api/tasks/{key}/audit`: entries plus their verification."""

from __future__ import annotations

from typing import Any

from bzzz.audit.registry import KeyRegistry, load_registry
from bzzz.audit.store import AuditStore
from bzzz.audit.verify import verify_entries
from bzzz.config import Settings
from bzzz.secrets import SecretStore


def read_stream(settings: Settings, stream: str) -> list[dict[str, Any]]:
    """Every entry of `stream` as a JSON-ready dict, in seq order."""
    return [entry.to_dict() for entry in AuditStore(settings).stream(stream)]


def audit_view(
    settings: Settings,
    stream: str,
    *,
    registry: KeyRegistry | None = None,
    secrets: SecretStore | None = None,
) -> dict[str, Any]:
    """`{stream, entries, verified, head, finding}`; `finding` is null when the chain verifies.

    An empty stream gives `entries: []` and `verified: true` (unless its signed
    head says entries were there); the route decides whether that is a 404 (it
    knows whether the task exists).
    """
    entries, head = AuditStore(settings).read(stream)
    report = verify_entries(stream, entries, registry or load_registry(settings, secrets), head)
    return {
        "stream": stream,
        "entries": [entry.to_dict() for entry in entries],
        "verified": report.ok,
        "head": report.head,
        "finding": report.finding.to_dict() if report.finding else None,
    }
