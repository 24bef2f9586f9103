"""A task's discussion thread (HMMM): read it, add to it, show it, hand it to the next agent.

Rows are `ThreadMessage`s keyed by the task key, in sequence order; appends go
through `Threads.append` (a conditional put per sequence number), the same
path the webhook uses for a human's reply. Control items of the
escalation handler live under other partition keys (`<task>!…`), never here.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.github.neutralise import neutralise
from bzzz.messages import Envelope
from bzzz.store.conditions import condition_failed
from bzzz.store.models import ThreadMessage

_EXCERPT = 1500

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
                if not condition_failed(exc):
                    raise
                seq = self.last_seq(thread) + 1
        raise RuntimeError(f"thread {thread}: no free sequence number after {_ATTEMPTS} tries")


@dataclass(frozen=True)
class Entry:
    seq: int
    ts: float
    sender: str
    type: str
    data: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.data.get("text") or self.data.get("body") or "")


def record(settings: Settings, envelope: Envelope) -> int:
    """Append a bus message to its task's thread; return its sequence number."""
    threads = Threads(settings, aws.client("dynamodb", settings))
    data = {**envelope.data, "message_id": envelope.id}
    return threads.append(envelope.task, envelope.sender, str(envelope.type), data)


def entries(task_key: str) -> list[Entry]:
    """The whole thread, oldest first (consistent read: a message just written is in it)."""
    return [
        Entry(int(row.seq), float(row.ts), str(row.sender), str(row.type), dict(row.data or {}))
        for row in ThreadMessage.query(task_key, consistent_read=True)
    ]


def _line(entry: Entry) -> str:
    kind = entry.type.removeprefix("hmmm.")
    if entry.type == HUMAN_INPUT:
        kind = "human"
    extra = []
    if entry.data.get("attempt"):  # a requeued task plans again: say whose plan this is
        extra.append(f"attempt {entry.data['attempt']}")
    if entry.data.get("round"):
        extra.append(f"round {entry.data['round']}")
    if entry.data.get("verdict"):
        extra.append(str(entry.data["verdict"]))
    label = f"{kind} ({', '.join(extra)})" if extra else kind
    return f"{entry.sender} — {label}"


def thread_context(task_key: str, *, limit: int = 20) -> list[str]:
    """The thread as extra context for the next agent's prompt (TaskBrief.extra_context).

    One string per message, newest `limit` kept: plans, peers' feedback, help
    requests, escalations and humans' replies, each saying who wrote it.
    """
    found = [e for e in entries(task_key) if e.text.strip()][-limit:]
    return [f"Earlier discussion of this task — {_line(e)}:\n{e.text.strip()}" for e in found]


def render_details(items: Iterable[Entry], *, summary: str = "Discussion (HMMM)") -> str:
    """The thread as a collapsed `<details>` section for the status comment ("" when empty).

    Models and people wrote this text: it is neutralised, so posting it mentions
    nobody and closes nothing.
    """
    rows = list(items)
    if not rows:
        return ""
    parts = [f"<details><summary>{html.escape(summary)} — {len(rows)} message(s)</summary>", ""]
    for entry in rows:
        text = neutralise(entry.text.strip())
        if len(text) > _EXCERPT:
            text = text[:_EXCERPT] + f" … ({len(text) - _EXCERPT} more characters)"
        quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
        parts += [f"**{html.escape(_line(entry))}**", "", quoted or "> (empty)", ""]
    parts.append("</details>")
    return "\n".join(parts)


def render_thread(task_key: str) -> str:
    """`render_details` of the task's stored thread (what status sync calls)."""
    return render_details(entries(task_key))
