"""What the dashboard may show of decision records: that they exist, for whom, and when.

Metadata only, from the bucket's listing and each object's metadata: no key
is needed and no content is read (the dashboard never holds an identity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bzzz.decisions.address import SCHEME
from bzzz.decisions.store import DecisionStore, StoredRecord

if TYPE_CHECKING:
    from bzzz.config import Settings

MAX_LISTED = 200


def records_of(
    settings: Settings, repo: str, issue: int | None = None, *, store: DecisionStore | None = None
) -> list[StoredRecord]:
    """The records of `repo` (owner/name), or of one issue: address, roles, written at.

    [] when the deployment keeps no decision records (no bucket configured).
    """
    if not settings.decisions_bucket:
        return []
    store = store or DecisionStore(settings)
    prefix = f"{SCHEME}{repo}" + (f"/{issue}" if issue is not None else "")
    found: list[StoredRecord] = []
    for address in store.addresses(prefix):
        found.append(store.head(address))
        if len(found) >= MAX_LISTED:
            break
    return sorted(found, key=lambda r: r.address)
