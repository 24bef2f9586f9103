"""Appending a human's words to a task's discussion thread (the agents read it from there)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from bzzz.config import Settings

HUMAN_INPUT = "human.input"
_ATTEMPTS = 5


class Threads:
    def __init__(
        self, settings: Settings, dynamodb: Any, clock: Callable[[], float] = time.time
    ) -> None:
        self._table = settings.threads_table
        self._db = dynamodb
        self._clock = clock

    def last_seq(self, thread: str) -> int:
        reply = self._db.query(
            TableName=self._table,
            KeyConditionExpression="thread = :t",
            ExpressionAttributeValues={":t": {"S": thread}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = reply.get("Items") or []
        return int(items[0]["seq"]["N"]) if items else 0

    def append(self, thread: str, sender: str, kind: str, data: dict[str, Any]) -> int:
        """Append one message at the next sequence number; return that number.

        The put is conditioned on the slot being free, so two writers racing for
        the same number cannot overwrite each other: the loser takes the next one.
        """
        seq = self.last_seq(thread) + 1
        for _ in range(_ATTEMPTS):
            try:
                self._db.put_item(
                    TableName=self._table,
                    Item={
                        "thread": {"S": thread},
                        "seq": {"N": str(seq)},
                        "ts": {"N": str(round(self._clock(), 3))},
                        "sender": {"S": sender},
                        "type": {"S": kind},
                        "data": {"S": json.dumps(data)},
                    },
                    ConditionExpression="attribute_not_exists(seq)",
                )
                return seq
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                seq = self.last_seq(thread) + 1
        raise RuntimeError(f"thread {thread}: no free sequence number after {_ATTEMPTS} tries")
