"""Reading records: fetch, decrypt with the identities given, parse, check against its address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bzzz.decisions.crypto import decrypt
from bzzz.decisions.errors import RecordError
from bzzz.decisions.record import DecisionRecord
from bzzz.decisions.store import DecisionStore, StoredRecord

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.decisions.address import Address


@dataclass(frozen=True)
class Opened:
    record: DecisionRecord
    plaintext: bytes  # the exact bytes whose digest the audit stream holds
    stored: StoredRecord


def open_record(
    settings: Settings,
    address: Address,
    identities: Sequence[str],
    *,
    store: DecisionStore | None = None,
) -> Opened:
    """The record at `address`; DecryptError when no identity opens it or it was altered."""
    store = store or DecisionStore(settings)
    ciphertext, stored = store.get(address)
    plaintext = decrypt(ciphertext, identities)
    record = DecisionRecord.from_bytes(plaintext)
    # A record copied to another address would otherwise pass for that task's.
    if record.address != str(address):
        raise RecordError("address", f"the record says {record.address}, stored at {address}")
    return Opened(record, plaintext, stored)
