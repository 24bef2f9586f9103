"""Status sync's conditional writes on the task row: who posts the comment, what it shows.

- The right to post the one status comment is taken with a conditional write
  that stores a *negative* `status_comment_id` (minus the epoch second until
  which the right holds). A concurrent sync that loses retries later and then
  finds the real id; a sync that died while holding the right loses it after
  `POST_WINDOW_SECONDS`.
- `status_shown` (what the comment, labels and reaction show, and the last
  envelope ids handled) is replaced only if it is still what this sync read,
  so two syncs never silently overwrite each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bzzz.config import Settings
from bzzz.errors import BzzzError
from bzzz.store.conditions import condition_failed
from bzzz.store.models import Task

POST_WINDOW_SECONDS = 60


class SyncConflictError(BzzzError):
    """Another status sync changed the task's status record first; retry the message."""


@dataclass(frozen=True)
class Row:
    task: Task
    comment_id: int | None  # the posted comment; None when not posted (or being posted)
    shown: dict[str, Any]
    shown_raw: str | None  # the stored JSON, for the conditional replace


class StatusStore:
    def __init__(self, settings: Settings, dynamodb: Any) -> None:
        self._table = settings.tasks_table
        self._db = dynamodb

    def read(self, key: str) -> Row | None:
        item = self._db.get_item(
            TableName=self._table, Key={"key": {"S": key}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        raw = item.get("status_shown", {}).get("S")
        comment = int(float(item.get("status_comment_id", {}).get("N", "0")))
        return Row(
            task=Task.from_raw_data(item),
            comment_id=comment if comment > 0 else None,
            shown=json.loads(raw) if raw else {},
            shown_raw=raw,
        )

    def reserve_comment(self, key: str, now: float) -> float | None:
        """Take the right to post; the reservation value, or None if another sync holds it."""
        reserved = -float(int(now) + POST_WINDOW_SECONDS)
        try:
            self._update(
                key,
                "SET #c = :reserved",
                "attribute_exists(#k) AND "
                "(attribute_not_exists(#c) OR (#c < :zero AND #c > :neg_now))",
                {":reserved": reserved, ":zero": 0, ":neg_now": -float(int(now))},
            )
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return reserved

    def set_comment(self, key: str, comment_id: int, reserved: float) -> bool:
        """Record the posted comment; False if the reservation was lost meanwhile."""
        try:
            values = {":id": comment_id, ":reserved": reserved}
            self._update(key, "SET #c = :id", "#c = :reserved", values)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def save_posted(
        self,
        key: str,
        comment_id: int,
        reserved: float,
        shown: dict[str, Any],
        previous_raw: str | None,
    ) -> bool:
        """Record the posted comment and what it shows in one write (the first sync of a
        task: a write saved); False, writing nothing, if the reservation or the record
        changed meanwhile: then `set_comment` and `save_shown` each say which."""
        condition, values = self._shown_condition(shown, previous_raw)
        values.update({":id": comment_id, ":reserved": reserved})
        try:
            self._update(key, "SET #c = :id, #s = :new", f"#c = :reserved AND {condition}", values)
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def release(self, key: str, reserved: float) -> None:
        """Give the right to post back (the post failed)."""
        try:
            self._update(key, "REMOVE #c", "#c = :reserved", {":reserved": reserved})
        except ClientError as exc:
            if not condition_failed(exc):
                raise

    def save_shown(self, key: str, shown: dict[str, Any], previous_raw: str | None) -> None:
        condition, values = self._shown_condition(shown, previous_raw)
        try:
            self._update(key, "SET #s = :new", condition, values)
        except ClientError as exc:
            if condition_failed(exc):
                raise SyncConflictError(f"the status record of {key} changed meanwhile") from None
            raise

    @staticmethod
    def _shown_condition(
        shown: dict[str, Any], previous_raw: str | None
    ) -> tuple[str, dict[str, Any]]:
        """The record replaced only if it is still the one read; its new value as `:new`."""
        values: dict[str, Any] = {":new": json.dumps(shown, sort_keys=True, separators=(",", ":"))}
        if previous_raw is None:
            return "attribute_exists(#k) AND attribute_not_exists(#s)", values
        values[":old"] = previous_raw
        return "attribute_exists(#k) AND #s = :old", values

    def _update(self, key: str, update: str, condition: str, values: dict[str, Any]) -> None:
        names = {"#k": "key", "#c": "status_comment_id", "#s": "status_shown"}
        self._db.update_item(
            TableName=self._table,
            Key={"key": {"S": key}},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames={n: v for n, v in names.items() if n in update + condition},
            ExpressionAttributeValues={
                name: {"S": value} if isinstance(value, str) else {"N": str(value)}
                for name, value in values.items()
            },
        )
