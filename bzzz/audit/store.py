"""The audit table through the raw DynamoDB client: items to entries and back.

The one table without a PynamoDB model (docs/architecture.md, "Persistence"):
a verifier must see a tampered item exactly as stored, where a model would
coerce or reject it. `data` is a JSON string. Each stream also holds, at
seq 0, its seq counter (`next_seq`, bzzz.audit.log) and its signed head
(bzzz.audit.head), moved forward after every entry.
Reads are consistent: a verifier must see every acknowledged append.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bzzz import aws
from bzzz.audit.canonical import canonical
from bzzz.audit.errors import AuditStoreError
from bzzz.audit.head import (
    HEAD_SEQ,
    Head,
    has_signed_head,
    head_attributes,
    head_from_item,
    is_head_item,
)
from bzzz.config import Settings
from bzzz.store.conditions import condition_failed


@dataclass(frozen=True)
class Entry:
    """One stored entry. `problem` is set when the item could not be parsed."""

    stream: str
    seq: int
    ts: int
    author: str
    type: str
    data: dict[str, Any]
    prev_hash: str
    hash: str
    signature: str
    # The stored seq as text ("2.5" is kept here and flagged; seq is then its floor).
    seq_text: str = ""
    problem: str | None = field(default=None, compare=False)

    def body(self, seq: int | None = None) -> dict[str, Any]:
        """The hashed fields; `seq` overrides the stored one (to test for reordering)."""
        return {
            "stream": self.stream,
            "seq": self.seq if seq is None else seq,
            "ts": self.ts,
            "author": self.author,
            "type": self.type,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash, "signature": self.signature}


def to_item(entry: Entry) -> dict[str, Any]:
    return {
        "stream": {"S": entry.stream},
        "seq": {"N": str(entry.seq)},
        "ts": {"N": str(entry.ts)},
        "author": {"S": entry.author},
        "type": {"S": entry.type},
        "data": {"S": canonical(entry.data).decode("utf-8")},
        "prev_hash": {"S": entry.prev_hash},
        "hash": {"S": entry.hash},
        "signature": {"S": entry.signature},
    }


def from_item(item: dict[str, Any]) -> Entry:
    """Parse an item; a malformed one becomes an Entry with `problem` set (a finding)."""

    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    seq_text = str(item.get("seq", {}).get("N", "0"))
    problems = [
        f"{name} missing" for name in ("author", "type", "hash", "signature") if not text(name)
    ]
    try:
        seq_number = Decimal(seq_text)
        seq = int(seq_number)
        ts = int(Decimal(str(item.get("ts", {}).get("N", "0"))))
    except (InvalidOperation, ValueError):
        seq, ts = 0, 0
        problems.append("seq or ts is not a number")
    try:
        data = json.loads(text("data") or "{}")
    except json.JSONDecodeError:
        data, problems = {}, [*problems, "data is not JSON"]
    if not isinstance(data, dict):
        data, problems = {}, [*problems, "data is not a JSON object"]
    return Entry(
        stream=text("stream"),
        seq=seq,
        ts=ts,
        author=text("author"),
        type=text("type"),
        data=data,
        prev_hash=text("prev_hash"),
        hash=text("hash"),
        signature=text("signature"),
        seq_text=seq_text,
        problem="; ".join(problems) or None,
    )


class AuditStore:
    def __init__(self, settings: Settings, dynamodb: Any = None) -> None:
        self.table = settings.audit_table
        self.db = dynamodb or aws.client("dynamodb", settings)

    def tail(self, stream: str) -> Entry | None:
        """The entry with the highest seq, or None for an empty stream."""
        items = self._call(
            "query",
            TableName=self.table,
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "stream"},
            ExpressionAttributeValues={":s": {"S": stream}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )["Items"]
        # The head (seq 0) comes last: if it is all there is, the stream has no entries.
        return from_item(items[0]) if items and not is_head_item(items[0]) else None

    def stream(self, stream: str) -> list[Entry]:
        """Every entry of `stream`, in seq order."""
        return self.read(stream)[0]

    def read(self, stream: str) -> tuple[list[Entry], Head | None]:
        """Every entry of `stream` in seq order, and its head (None if it has none)."""
        entries: list[Entry] = []
        head: Head | None = None
        page: dict[str, Any] = {}
        while True:
            reply = self._call(
                "query",
                TableName=self.table,
                KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "stream"},
                ExpressionAttributeValues={":s": {"S": stream}},
                ConsistentRead=True,
                **page,
            )
            for item in reply["Items"]:
                if not is_head_item(item):
                    entries.append(from_item(item))
                elif has_signed_head(item):
                    head = head_from_item(item)
            if "LastEvaluatedKey" not in reply:
                return entries, head
            page = {"ExclusiveStartKey": reply["LastEvaluatedKey"]}

    def scan(self) -> Iterator[Entry | Head]:
        """Every entry and head of every stream, in no particular order."""
        page: dict[str, Any] = {}
        while True:
            reply = self._call("scan", TableName=self.table, ConsistentRead=True, **page)
            for item in reply["Items"]:
                if not is_head_item(item):
                    yield from_item(item)
                elif has_signed_head(item):
                    yield head_from_item(item)
            if "LastEvaluatedKey" not in reply:
                return
            page = {"ExclusiveStartKey": reply["LastEvaluatedKey"]}

    def put_new(self, entry: Entry) -> Entry | None:
        """Write `entry` unless its seq is taken; return None, or the entry that holds it."""
        try:
            self.db.put_item(
                TableName=self.table,
                Item=to_item(entry),
                ConditionExpression="attribute_not_exists(#q)",
                ExpressionAttributeNames={"#q": "seq"},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise AuditStoreError(f"cannot append to {entry.stream}: {exc}") from exc
            found: Any = exc.response.get("Item")
            winner = from_item(found) if found else self.tail(entry.stream)
            if winner is None:
                raise AuditStoreError(f"{entry.stream}: seq {entry.seq} taken, yet empty") from exc
            # The SDK retries a write whose reply was lost; the retry then finds our
            # own entry. That is a success, not a lost race (else we would append twice).
            if winner.seq == entry.seq and winner.hash == entry.hash:
                return None
            return winner
        except BotoCoreError as exc:
            raise AuditStoreError(f"cannot append to {entry.stream}: {exc}") from exc
        return None

    def take_seq(self, stream: str) -> tuple[int, Head | None]:
        """The next seq of `stream`, taken from its counter, and the head as it stood.

        One atomic increment (UpdateItem ADD): every caller gets its own seq in
        the order the table serves them, none ever fails or retries, so appends
        are fair and cost one round trip each however many writers there are.
        """
        reply = self._call(
            "update_item",
            TableName=self.table,
            Key=self._head_key(stream),
            UpdateExpression="ADD next_seq :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        item = reply["Attributes"]
        head = head_from_item(item) if has_signed_head(item) else None
        return int(str(item["next_seq"]["N"])), head

    def raise_counter(self, stream: str, seq: int) -> None:
        """Make the counter hand out seqs above `seq` (it lagged: reset, or a stream older
        than the counter); never lowers it."""
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._head_key(stream),
                UpdateExpression="SET next_seq = :n",
                ConditionExpression="attribute_not_exists(next_seq) OR next_seq < :n",
                ExpressionAttributeValues={":n": {"N": str(seq)}},
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise AuditStoreError(f"cannot move the counter of {stream}: {exc}") from exc
        except BotoCoreError as exc:
            raise AuditStoreError(f"cannot move the counter of {stream}: {exc}") from exc

    def move_head(self, head: Head, *, with_counter: bool = False) -> bool:
        """Point the stream's head at `head.seq`, unless it already points further; True
        if it moved.

        Called after the entry is written, never before: a head must not name an
        entry that is not there. A concurrent appender of a later seq may have
        moved it on already; the head only moves forward. An update, not a put:
        the counter in the same item must stay.

        `with_counter`: the entry's seq was not handed out by the counter (an append
        that follows the writer's own last entry): move the counter to it in the same
        update, or, if the counter is past it already (others took seqs meanwhile),
        change nothing and return False (then only the head may move).
        """
        names = {"#h": "head_seq", "#a": "author", "#g": "signature", "#x": "head_hash"}
        values = {f":{name}": value for name, value in head_attributes(head).items()}
        update = "SET #h = :head_seq, #x = :head_hash, #a = :author, #g = :signature"
        condition = "attribute_not_exists(#h) OR #h < :head_seq"
        if with_counter:
            names["#n"] = "next_seq"
            update += ", #n = :head_seq"
            condition = f"({condition}) AND (attribute_not_exists(#n) OR #n <= :head_seq)"
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._head_key(head.stream),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise AuditStoreError(f"cannot move the head of {head.stream}: {exc}") from exc
            return False
        except BotoCoreError as exc:
            raise AuditStoreError(f"cannot move the head of {head.stream}: {exc}") from exc
        return True

    @staticmethod
    def _head_key(stream: str) -> dict[str, Any]:
        return {"stream": {"S": stream}, "seq": {"N": str(HEAD_SEQ)}}

    def _call(self, operation: str, **params: Any) -> Any:
        try:
            return getattr(self.db, operation)(**params)
        except (ClientError, BotoCoreError) as exc:
            raise AuditStoreError(f"the audit table {self.table}: {exc}") from exc
