"""The decision record: what one attempt decided, why, with what evidence; its wire form.

The wire contract is bzzz/schemas/decision-record.json; `DecisionRecord.to_bytes`
and `from_bytes` validate against it both ways, so a record that breaks it is
never written and never shown. `digest` is the SHA-256 of the exact bytes that
are encrypted: the runner signs it into the task's audit stream
(bzzz.decisions.binding), and re-encryption keeps those bytes unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bzzz.decisions.errors import RecordError
from bzzz.errors import MessageError

SCHEMA = "bzzz.decision/v1"
SCHEMA_FILE = "decision-record.json"
# Caps of what one record carries (the schema says the same): a record is read by people.
MAX_OUTPUT = 20_000  # characters of one command's output, head and tail (the runner cuts)
MAX_COMMANDS = 1000
MAX_MESSAGES = 500
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Outcome:
    result: str  # completed | failed | escalated: the attempt's last transition
    kind: str  # the agent's outcome kind (finished, help, budget, error) or "setup"
    reason: str | None = None
    question: str | None = None
    pr_url: str | None = None
    branch: str | None = None
    verification: str | None = None


@dataclass(frozen=True)
class Message:
    """One message of the task's HMMM thread (plans, feedback, help, humans' replies)."""

    seq: int
    sender: str
    type: str
    text: str
    at: float


@dataclass(frozen=True)
class Command:
    iteration: int
    command: str
    exit_code: int
    output: str
    truncated: bool


@dataclass(frozen=True)
class Diff:
    text: str
    truncated: bool


@dataclass(frozen=True)
class Times:
    started_at: float
    ended_at: float
    agent_seconds: float | None = None


@dataclass(frozen=True)
class AuditPoint:
    """The task's audit stream as it stood when the record was written: seq and hash of its head."""

    stream: str
    seq: int
    hash: str | None  # None when the stream was empty (seq 0)


@dataclass(frozen=True)
class DecisionRecord:
    address: str
    task: str
    attempt: int
    round: int
    runner: str
    outcome: Outcome
    summary: str
    plan: str | None
    hmmm: tuple[Message, ...]
    commands: tuple[Command, ...]
    diff: Diff
    tokens: int
    times: Times
    audit: AuditPoint
    written_at: float
    commands_dropped: int = 0
    schema: str = field(default=SCHEMA)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON values (tuples become lists, as on the wire)."""
        document: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(self)))
        return document

    def to_bytes(self) -> bytes:
        """The plaintext that is encrypted (validated first): sorted keys, UTF-8."""
        document = self.to_dict()
        _validate(document)
        return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, plaintext: bytes) -> DecisionRecord:
        try:
            document = json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RecordError("$", "the record is not JSON") from None
        _validate(document)
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DecisionRecord:
        return cls(
            address=d["address"], task=d["task"], attempt=d["attempt"], round=d["round"],
            runner=d["runner"], outcome=Outcome(**d["outcome"]), summary=d["summary"],
            plan=d["plan"], hmmm=tuple(Message(**m) for m in d["hmmm"]),
            commands=tuple(Command(**c) for c in d["commands"]), diff=Diff(**d["diff"]),
            tokens=d["tokens"], times=Times(**d["times"]), audit=AuditPoint(**d["audit"]),
            written_at=d["written_at"], commands_dropped=d.get("commands_dropped", 0),
            schema=d["schema"],
        )  # fmt: skip


def digest(plaintext: bytes) -> str:
    """SHA-256 hex of a record's plaintext bytes: what the audit stream holds."""
    return hashlib.sha256(plaintext).hexdigest()


def _validate(document: Any) -> None:
    from bzzz import schemas

    try:
        schemas.validate(SCHEMA_FILE, document)
    except MessageError as exc:
        raise RecordError(exc.field, exc.problem) from None
