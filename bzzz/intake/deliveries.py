"""De-duplication of webhook deliveries on `X-GitHub-Delivery`, one conditional write each.

A delivery is claimed before it is handled (`begin`), marked handled after
(`finish`) and forgotten when handling failed (`forget`), so GitHub's
redelivery of a failed delivery (same id) is handled again, while a replay of a
handled one changes nothing.

A claim left behind by an invocation that died (killed at its timeout, out of
memory) may be taken over once that invocation's own deadline has passed: the
claim records it (`stale_at`, from the Lambda context's remaining time), so a
redelivery is refused (409, with when to retry) only while the first handler
could still be running, not for a fixed minute. Claims written before
`stale_at` existed fall back to `STALE_SECONDS` after `received_at`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from bzzz.config import Settings
from bzzz.store.conditions import refused_item

# GitHub keeps deliveries redeliverable for 3 days; keep ours a little longer.
TTL_SECONDS = 4 * 24 * 3600
# Longer than the webhook function's timeout: a claim this old belongs to nobody.
STALE_SECONDS = 60
# How long a handler may run when nothing says (not in Lambda): the template's Timeout.
HANDLER_SECONDS = 30.0


class Claim(StrEnum):
    NEW = "new"
    HANDLED = "handled"  # a replay of a delivery already handled
    IN_PROGRESS = "in_progress"  # the same delivery is being handled right now


@dataclass(frozen=True)
class Begun:
    claim: Claim
    retry_after: float = 0.0  # IN_PROGRESS: seconds until the first handler's deadline


class Deliveries:
    def __init__(
        self, settings: Settings, dynamodb: Any, clock: Callable[[], float] = time.time
    ) -> None:
        self._table = settings.deliveries_table
        self._db = dynamodb
        self._clock = clock

    def begin(
        self, delivery_id: str, event: str, handler_seconds: float = HANDLER_SECONDS
    ) -> Begun:
        """Claim the delivery for a handler that may run `handler_seconds` at most."""
        now = self._clock()
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "delivery_id": {"S": delivery_id},
                    "event": {"S": event},
                    "received_at": {"N": str(round(now, 3))},
                    "stale_at": {"N": str(round(now + max(handler_seconds, 0.0) + 1.0, 3))},
                    "expires_at": {"N": str(int(now) + TTL_SECONDS)},
                    "status": {"S": Claim.IN_PROGRESS.value},
                },
                ConditionExpression=(
                    "attribute_not_exists(delivery_id) OR (#status = :in_progress AND "
                    "(stale_at < :now OR "
                    "(attribute_not_exists(stale_at) AND received_at < :stale)))"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":in_progress": {"S": Claim.IN_PROGRESS.value},
                    ":now": {"N": str(round(now, 3))},
                    ":stale": {"N": str(round(now - STALE_SECONDS, 3))},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            found = refused_item(exc)
            status = found.get("status", {}).get("S", Claim.HANDLED.value)
            if status != Claim.IN_PROGRESS.value:
                return Begun(Claim.HANDLED)
            received = float(found.get("received_at", {}).get("N", now))
            stale_at = float(found.get("stale_at", {}).get("N", received + STALE_SECONDS))
            return Begun(Claim.IN_PROGRESS, max(stale_at - now, 1.0))
        return Begun(Claim.NEW)

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
