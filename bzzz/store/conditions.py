"""The one check for a refused conditional write, and the item it found.

Every conditional write in Bzzz (transitions, delivery claims, thread appends,
audit appends, status-comment rights) fails the same way: a `ClientError` with
code `ConditionalCheckFailedException`. Anything else is a real failure and is
re-raised.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

CONDITION_FAILED = "ConditionalCheckFailedException"


def condition_failed(exc: ClientError) -> bool:
    """True when `exc` is a refused condition (the write's expected outcome under contention)."""
    return bool(exc.response.get("Error", {}).get("Code") == CONDITION_FAILED)


def refused_item(exc: ClientError) -> dict[str, Any]:
    """The item as a refused write found it (`ALL_OLD`), or {}; re-raise any other failure."""
    if not condition_failed(exc):
        raise exc
    found: Any = exc.response.get("Item")
    return dict(found) if found else {}
