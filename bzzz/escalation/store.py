"""The escalation handler's bookkeeping in the threads table, beside (never inside) the threads.

Items, all under partition keys no task thread uses (`<task>!…`, `!help-due`):

    <task>!rounds        seq 0   help rounds counter of the thread (atomic ADD)
    <task>!help:<id>     seq 0   one help request: round, state open|answered, deadline, envelope
    !help-due            seq D   a help request due at D (epoch ms, plus a tie-breaker): the clock
    <task>!escalation    seq N   the claim on round N's escalation, and the side effects done

The claim is what makes escalation exactly-once per round: a conditional put
wins it before any side effect; a redelivered message finds it taken. A claim
whose owner failed is released (its lease zeroed) so the redelivery resumes
the remaining steps; one whose owner died resumes once its lease ends.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from botocore.exceptions import ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.store.conditions import condition_failed

DUE = "!help-due"
LEASE_SECONDS = 90  # below the escalation queue's visibility timeout (180 s)


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": str(value)}


class EscalationStore:
    def __init__(self, settings: Settings, dynamodb: Any = None) -> None:
        self._table = settings.threads_table
        self._db = dynamodb or aws.client("dynamodb", settings)

    def _key(self, thread: str, seq: int = 0) -> dict[str, Any]:
        return {"thread": _s(thread), "seq": _n(seq)}

    def _get(self, thread: str, seq: int = 0) -> dict[str, Any] | None:
        item = self._db.get_item(
            TableName=self._table, Key=self._key(thread, seq), ConsistentRead=True
        ).get("Item")
        return dict(item) if item else None

    # ----- help requests ------------------------------------------------------

    def open_help(
        self, task: str, help_id: str, envelope_json: str, now: float, deadline: float
    ) -> tuple[int, dict[str, Any], bool]:
        """Record a help request once: its round, its item, and whether this call assigned it."""
        thread = f"{task}!help:{help_id}"
        item = self._get(thread)
        if item is None:
            try:
                self._db.put_item(
                    TableName=self._table,
                    Item={
                        **self._key(thread),
                        "state": _s("open"),
                        "opened_at": _n(round(now, 3)),
                        "deadline": _n(round(deadline, 3)),
                        "envelope": _s(envelope_json),
                    },
                    ConditionExpression="attribute_not_exists(thread)",
                )
            except ClientError as exc:
                if not condition_failed(exc):
                    raise
            item = self._get(thread) or {}
        fresh = "round" not in item
        if fresh:
            counter = self._db.update_item(
                TableName=self._table,
                Key=self._key(f"{task}!rounds"),
                UpdateExpression="ADD rounds :one",
                ExpressionAttributeValues={":one": _n(1)},
                ReturnValues="UPDATED_NEW",
            )
            number = int(counter["Attributes"]["rounds"]["N"])
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key=self._key(thread),
                    UpdateExpression="SET #r = :r",
                    ConditionExpression="attribute_not_exists(#r)",
                    ExpressionAttributeNames={"#r": "round"},
                    ExpressionAttributeValues={":r": _n(number)},
                )
            except ClientError as exc:
                if not condition_failed(exc):
                    raise
            item = self._get(thread) or {}
            self._put_due(task, help_id, float(item["deadline"]["N"]))
        return int(item["round"]["N"]), item, fresh

    def help_item(self, task: str, help_id: str) -> dict[str, Any] | None:
        return self._get(f"{task}!help:{help_id}")

    def answer_help(self, task: str, help_id: str, by: str) -> bool:
        """Mark an open help request answered; False if unknown, answered or escalated."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(f"{task}!help:{help_id}"),
                UpdateExpression="SET #s = :answered, answered_by = :by",
                ConditionExpression="attribute_exists(thread) AND #s = :open",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":answered": _s("answered"), ":open": _s("open"), ":by": _s(by)
                },
            )  # fmt: skip
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def mark_escalated(self, task: str, help_id: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=self._key(f"{task}!help:{help_id}"),
            UpdateExpression="SET #s = :e",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":e": _s("escalated")},
        )

    def _put_due(self, task: str, help_id: str, deadline: float) -> None:
        # Range key = due time in ms, times 1000, plus a tie-breaker from the id.
        seq = int(deadline * 1000) * 1000 + zlib.crc32(help_id.encode()) % 1000
        self._db.put_item(
            TableName=self._table,
            Item={**self._key(DUE, seq), "task": _s(task), "help_id": _s(help_id)},
        )

    def due(self, now: float) -> list[tuple[int, str, str]]:
        """(seq, task, help id) of help requests due by `now`."""
        reply = self._db.query(
            TableName=self._table,
            KeyConditionExpression="thread = :t AND seq <= :now",
            ExpressionAttributeValues={":t": _s(DUE), ":now": _n(int(now * 1000) * 1000 + 999)},
            ConsistentRead=True,
        )
        return [
            (int(i["seq"]["N"]), i["task"]["S"], i["help_id"]["S"]) for i in reply.get("Items", [])
        ]

    def forget_due(self, seq: int) -> None:
        self._db.delete_item(TableName=self._table, Key=self._key(DUE, seq))

    # ----- escalation claims -------------------------------------------------

    def claim(self, task: str, number: int, owner: str, now: float) -> set[str] | None:
        """Win round `number`'s escalation: the steps already done, or None (not ours)."""
        key = self._key(f"{task}!escalation", number)
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**key, "owner": _s(owner), "lease_until": _n(now + LEASE_SECONDS)},
                ConditionExpression="attribute_not_exists(thread)",
            )
            return set()
        except ClientError as exc:
            if not condition_failed(exc):
                raise
        try:
            reply = self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET #o = :o, lease_until = :l",
                ConditionExpression="attribute_not_exists(done_at) AND lease_until < :now",
                ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={
                    ":o": _s(owner), ":l": _n(now + LEASE_SECONDS), ":now": _n(now)
                },
                ReturnValues="ALL_NEW",
            )  # fmt: skip
        except ClientError as exc:
            if condition_failed(exc):
                return None
            raise
        return set(reply["Attributes"].get("steps", {}).get("SS", []))

    def step_done(self, task: str, number: int, step: str, detail: Any = None) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=self._key(f"{task}!escalation", number),
            UpdateExpression="ADD steps :s SET #d = :d",
            ExpressionAttributeNames={"#d": f"step_{step}"},
            ExpressionAttributeValues={":s": {"SS": [step]}, ":d": _s(json.dumps(detail))},
        )

    def finish(self, task: str, number: int, now: float) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=self._key(f"{task}!escalation", number),
            UpdateExpression="SET done_at = :now",
            ExpressionAttributeValues={":now": _n(now)},
        )

    def release(self, task: str, number: int) -> None:
        """Give the claim up after a failure, so the redelivered message resumes at once."""
        self._db.update_item(
            TableName=self._table,
            Key=self._key(f"{task}!escalation", number),
            UpdateExpression="SET lease_until = :zero",
            ExpressionAttributeValues={":zero": _n(0)},
        )
