"""The tamper-evident audit log: per-task streams, hash-chained, Ed25519-signed.

Append:   `AuditLog(settings, signer).append(stream, type, data)`
Hook:     `Lifecycle(..., listeners=[audit_listener(log)])`
Keys:     `load_or_create_key(path, agent_id)`, `publish_public_key(settings, signer)`,
          `control_plane_signer(settings)`; `control-plane` is reserved (RESERVED_AUTHORS),
          its public key pinned at deploy (BZZZ_AUDIT_PUBLIC_KEY)
Verify:   `verify_stream(settings, stream)`, `verify_all(settings)` -> `StreamReport`s
API:      `audit_view(settings, stream)`, `read_stream(settings, stream)`

docs/audit.md describes the encoding, the trust model and the entry types.
"""

from bzzz.audit.canonical import GENESIS, canonical, entry_hash
from bzzz.audit.chain import Finding, Problem
from bzzz.audit.entry_types import ENTRY_TYPES, diff_summary, digest, output_tail
from bzzz.audit.errors import (
    AuditContentionError,
    AuditDataError,
    AuditError,
    AuditKeyError,
    AuditStoreError,
)
from bzzz.audit.keys import Signer, load_or_create_key
from bzzz.audit.listener import audit_listener
from bzzz.audit.log import AuditLog
from bzzz.audit.registry import (
    CONTROL_PLANE,
    KEYS_STREAM,
    RESERVED_AUTHORS,
    KeyRegistry,
    control_plane_signer,
    load_registry,
    publish_public_key,
)
from bzzz.audit.store import Entry
from bzzz.audit.verify import StreamReport, verify_all, verify_entries, verify_stream
from bzzz.audit.view import audit_view, read_stream

__all__ = [
    "CONTROL_PLANE",
    "ENTRY_TYPES",
    "GENESIS",
    "KEYS_STREAM",
    "RESERVED_AUTHORS",
    "AuditContentionError",
    "AuditDataError",
    "AuditError",
    "AuditKeyError",
    "AuditLog",
    "AuditStoreError",
    "Entry",
    "Finding",
    "KeyRegistry",
    "Problem",
    "Signer",
    "StreamReport",
    "audit_listener",
    "audit_view",
    "canonical",
    "control_plane_signer",
    "diff_summary",
    "digest",
    "entry_hash",
    "load_or_create_key",
    "load_registry",
    "output_tail",
    "publish_public_key",
    "read_stream",
    "verify_all",
    "verify_entries",
    "verify_stream",
]
