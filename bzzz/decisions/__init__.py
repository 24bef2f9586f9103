"""Decision records: each attempt's outcome and reasoning, age-encrypted to the roles that read it.

Address:  `parse_address("bzzz://owner/repo/7/2")`, `Address(repo, issue, attempt, round)`
Readers:  `load_recipients(path).readers(repo)` -> the admin's and the owner's roles' recipients
Write:    `publish(settings, record, readers, note)` (the runner: public keys only)
Read:     `open_record(settings, address, identities)`, `check_binding(settings, record, plaintext)`
Rotate:   `reencrypt(settings, address, identities, recipients)`
Admin:    `split_identity(identity, k, n)`, `recover_identity(shares)` (in memory only)
Metadata: `records_of(settings, repo, issue)` -> address, roles, written at; never content

docs/decisions.md describes the roles, the keys, rotation and what a record holds.
"""

from bzzz.decisions.address import Address, parse_address
from bzzz.decisions.binding import Binding, audit_point, check_binding
from bzzz.decisions.crypto import generate_identity, recipient_of
from bzzz.decisions.errors import (
    AddressError,
    BindingError,
    DecisionError,
    DecisionStoreError,
    DecryptError,
    IdentityError,
    RecipientsError,
    RecordError,
    SharesError,
)
from bzzz.decisions.publish import Published, publish, reencrypt
from bzzz.decisions.reading import Opened, open_record
from bzzz.decisions.recipients import ROLES, Readers, Recipients, load_recipients
from bzzz.decisions.record import DecisionRecord
from bzzz.decisions.shares import recover_identity, split_identity
from bzzz.decisions.store import DecisionStore, StoredRecord
from bzzz.decisions.summary import records_of

__all__ = [
    "ROLES",
    "Address",
    "AddressError",
    "Binding",
    "BindingError",
    "DecisionError",
    "DecisionRecord",
    "DecisionStore",
    "DecisionStoreError",
    "DecryptError",
    "IdentityError",
    "Opened",
    "Published",
    "Readers",
    "Recipients",
    "RecipientsError",
    "RecordError",
    "SharesError",
    "StoredRecord",
    "audit_point",
    "check_binding",
    "generate_identity",
    "load_recipients",
    "open_record",
    "parse_address",
    "publish",
    "recipient_of",
    "records_of",
    "recover_identity",
    "reencrypt",
    "split_identity",
]
