"""Errors of the audit log, rooted in BzzzError.

A tampered chain is *not* an error: verification returns it as a finding.
These are for callers that cannot do what they asked (append, load a key).
"""

from __future__ import annotations

from bzzz.errors import BzzzError


class AuditError(BzzzError):
    """Base of the audit log's errors."""


class AuditDataError(AuditError):
    """An entry's data cannot be encoded canonically (a float, a non-string key...)."""


class AuditKeyError(AuditError):
    """A signing key is unreadable, exposed, malformed, or conflicts with a registered one."""


class AuditStoreError(AuditError):
    """The audit table refused or failed a read or write."""


class AuditContentionError(AuditStoreError):
    """An append found its seq taken again and again: the stream's counter stays behind."""
