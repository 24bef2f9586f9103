"""Where the last reconcile poll stopped, so a spent rate limit costs a delay, not a failure.

Kept as one item of the deliveries table, under a key no GitHub delivery id can
take (GitHub's are GUIDs): that table already records what the control plane
has handled and until when, and its TTL drops a forgotten cursor after a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bzzz.config import Settings

CURSOR_KEY = "bzzz:reconcile-cursor"
_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class Cursor:
    # The repository to poll first on the next run.
    resume_repo: str
    # Epoch seconds before which GitHub is not asked again (its reset time).
    not_before: float


def load(settings: Settings, dynamodb: Any) -> Cursor | None:
    item = dynamodb.get_item(
        TableName=settings.deliveries_table,
        Key={"delivery_id": {"S": CURSOR_KEY}},
        ConsistentRead=True,
    ).get("Item")
    if not item or "resume_repo" not in item:
        return None
    return Cursor(item["resume_repo"]["S"], float(item.get("not_before", {}).get("N", "0")))


def save(settings: Settings, dynamodb: Any, cursor: Cursor, now: float) -> None:
    dynamodb.put_item(
        TableName=settings.deliveries_table,
        Item={
            "delivery_id": {"S": CURSOR_KEY},
            "event": {"S": "reconcile-cursor"},
            "received_at": {"N": str(now)},
            "expires_at": {"N": str(int(now) + _TTL_SECONDS)},
            "resume_repo": {"S": cursor.resume_repo},
            "not_before": {"N": str(cursor.not_before)},
        },
    )


def clear(settings: Settings, dynamodb: Any) -> None:
    dynamodb.delete_item(
        TableName=settings.deliveries_table, Key={"delivery_id": {"S": CURSOR_KEY}}
    )


def resume_order(repos: list[str], cursor: Cursor | None) -> list[str]:
    """`repos` sorted, rotated so that the cursor's repository comes first."""
    ordered = sorted(set(repos))
    if cursor is None or cursor.resume_repo not in ordered:
        return ordered
    at = ordered.index(cursor.resume_repo)
    return ordered[at:] + ordered[:at]
