"""De-duplication of webhook deliveries on `X-GitHub-Delivery`, one conditional write each.

A delivery is claimed before it is handled (`begin`), marked handled after
(`finish`) and forgotten when handling failed (`forget`), so GitHub's
redelivery of a failed delivery (same id) is handled again, while a replay of a
handled one changes nothing. A claim left behind by a crashed invocation may be
taken over once it is older than `STALE_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from bzzz.config import Settings
from bzzz.store.conditions import refused_item

# GitHub keeps deliveries redeliverable for 3 days; keep ours a little longer.
TTL_SECONDS = 4 * 24 * 3600
# Longer than the webhook function's timeout: a claim this old belongs to nobody.
STALE_SECONDS = 60


class Claim(StrEnum):
    NEW = "new"
    HANDLED = "handled"  # a replay of a delivery already handled
    IN_PROGRESS = "in_progress"  # the same delivery is being handled right now


class Deliveries:
    def __init__(
        self, settings: Settings, dynamodb: Any, clock: Callable[[], float] = time.time
    ) -> None:
        self._table = settings.deliveries_table
        self._db = dynamodb
        self._clock = clock

    def begin(self, delivery_id: str, event: str) -> Claim:
        now = self._clock()
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "delivery_id": {"S": delivery_id},
                    "event": {"S": event},
                    "received_at": {"N": str(round(now, 3))},
                    "expires_at": {"N": str(int(now) + TTL_SECONDS)},
                    "status": {"S": Claim.IN_PROGRESS.value},
                },
                ConditionExpression=(
                    "attribute_not_exists(delivery_id) OR "
                    "(#status = :in_progress AND received_at < :stale)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":in_progress": {"S": Claim.IN_PROGRESS.value},
                    ":stale": {"N": str(round(now - STALE_SECONDS, 3))},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            found = refused_item(exc)
            status = found.get("status", {}).get("S", Claim.HANDLED.value)
            return Claim.IN_PROGRESS if status == Claim.IN_PROGRESS.value else Claim.HANDLED
        return Claim.NEW

    def finish(self, delivery_id: str, outcome: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key={"delivery_id": {"S": delivery_id}},
            UpdateExpression="SET #status = :handled, outcome = :outcome",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":handled": {"S": Claim.HANDLED.value},
                ":outcome": {"S": outcome[:500]},
            },
        )

    def forget(self, delivery_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key={"delivery_id": {"S": delivery_id}})
