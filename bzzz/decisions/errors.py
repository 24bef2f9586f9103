"""Errors of decision records, rooted in BzzzError; each names what was wrong."""

from __future__ import annotations

from bzzz.errors import BzzzError, InputError


class DecisionError(BzzzError):
    """Base of the decision records' errors."""


class RecipientsError(InputError, DecisionError):
    """The recipients configuration is malformed; `field` is its path: `owners.acme.security[0]`."""


class AddressError(InputError, DecisionError):
    """A decision address is malformed; `field` names the part (repo, issue, round, attempt)."""


class RecordError(InputError, DecisionError):
    """A record breaks its schema (`field` is the JSON path), or is not JSON at all."""


class DecryptError(DecisionError):
    """No given identity opens the record, or its ciphertext was altered (age refuses both)."""


class IdentityError(InputError, DecisionError):
    """An age identity (a secret key) is malformed, or is not the key it should be."""


class SharesError(InputError, DecisionError):
    """SLIP-39 shares are malformed, too few, from different sets, or recover the wrong key."""


class DecisionStoreError(DecisionError):
    """The bucket refused or failed a read or write, or holds no record at the address."""


class BindingError(DecisionError):
    """The record does not match the task's verified audit stream (see bzzz.decisions.binding)."""
