"""Why the control plane refused to vend a repository token, one class per answer.

Rooted in `CredentialError`; `handlers/http_app/errors.py` maps each to its
status. Messages are precise but name no configuration (no variable, table,
secret or key id): the caller may be anyone until its signature verifies.
"""

from __future__ import annotations

from bzzz.errors import BzzzError


class CredentialError(BzzzError):
    """A token request was refused."""


class UnauthenticatedError(CredentialError):
    """No signature, a malformed one, a stale or replayed one, or one that does not verify (401)."""


class NotLeaseHolderError(CredentialError):
    """The caller is a known runner, but another one (or nobody) holds the task's lease (403)."""


class LeaseExpiredError(CredentialError):
    """The caller held the lease, but it has expired, or the task is no longer leased (409)."""


class TokenUnavailableError(CredentialError):
    """The control plane cannot mint tokens: no GitHub App, or the repo is not installed (503)."""
