"""Writing records: encrypt to the readers, store, sign the digest into the audit stream.

`publish` is what the runner calls at the end of an attempt; it holds only
public keys. `reencrypt` is the rotation path (docs/decisions.md): it opens a
record with an identity that can (the recovered admin key, typically), checks
it, and stores the same plaintext encrypted to the readers configured *now*:
a new version of the object; the old version expires by the bucket's
lifecycle rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bzzz.decisions.address import Address, parse_address
from bzzz.decisions.binding import RECORDED, recorded_data
from bzzz.decisions.crypto import encrypt
from bzzz.decisions.reading import open_record
from bzzz.decisions.store import DecisionStore

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.decisions.recipients import Readers, Recipients
    from bzzz.decisions.record import DecisionRecord

Note = Callable[[str, dict[str, Any]], None]  # append to the task's signed audit stream


@dataclass(frozen=True)
class Published:
    address: Address
    roles: tuple[str, ...]
    size: int
    version_id: str | None


def publish(
    settings: Settings,
    record: DecisionRecord,
    readers: Readers,
    note: Note,
    *,
    store: DecisionStore | None = None,
) -> Published:
    """Encrypt `record` to `readers`, store it at its address, then `note` its digest."""
    plaintext = record.to_bytes()  # validated against the schema here
    address = parse_address(record.address)
    ciphertext = encrypt(plaintext, readers.recipients)
    store = store or DecisionStore(settings)
    version = store.put(address, ciphertext, readers.role_names, record.written_at)
    note(RECORDED, recorded_data(record, plaintext))
    return Published(address, tuple(readers.role_names), len(ciphertext), version)


def reencrypt(
    settings: Settings,
    address: Address,
    identities: Sequence[str],
    recipients: Recipients,
    *,
    store: DecisionStore | None = None,
) -> Published:
    """Store the record at `address` again, encrypted to the readers configured now.

    The plaintext is unchanged, so the digest the runner signed still binds it.
    """
    store = store or DecisionStore(settings)
    opened = open_record(settings, address, identities, store=store)
    readers = recipients.readers(address.repo)
    ciphertext = encrypt(opened.plaintext, readers.recipients)
    # written-at stays the record's own time: metadata says when it was decided.
    version = store.put(address, ciphertext, readers.role_names, opened.record.written_at)
    return Published(address, tuple(readers.role_names), len(ciphertext), version)
