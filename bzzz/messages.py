"""The message envelope: one typed shape for everything on the bus.

Wire contract: `bzzz/schemas/envelope.json`. `Envelope.to_json()` and
`Envelope.from_json()` validate against it, so nothing malformed is published
and nothing malformed is consumed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bzzz import schemas
from bzzz.errors import MessageError

SCHEMA = "bzzz.message/v1"


class MessageType(StrEnum):
    TASK_AVAILABLE = "task.available"
    TASK_CLAIMED = "task.claimed"
    TASK_PROGRESS = "task.progress"
    TASK_COMPLETED = "task.completed"
    TASK_FAILED = "task.failed"
    TASK_ESCALATED = "task.escalated"
    TASK_CANCELLED = "task.cancelled"
    HMMM_PLAN = "hmmm.plan"
    HMMM_FEEDBACK = "hmmm.feedback"
    HMMM_HELP = "hmmm.help"
    HMMM_ESCALATED = "hmmm.escalated"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Envelope:
    type: MessageType
    sender: str
    task: str
    data: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: str = field(default_factory=_now)
    schema: str = SCHEMA

    def as_dict(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["type"] = str(self.type)
        return raw

    def validate(self) -> None:
        schemas.validate("envelope.json", self.as_dict())

    def to_json(self) -> str:
        """The validated wire form."""
        self.validate()
        return json.dumps(self.as_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, raw: Any) -> Envelope:
        schemas.validate("envelope.json", raw)
        return cls(
            type=MessageType(raw["type"]),
            sender=raw["sender"],
            task=raw["task"],
            data=raw["data"],
            id=raw["id"],
            sent_at=raw["sent_at"],
            schema=raw["schema"],
        )

    @classmethod
    def from_json(cls, body: str | bytes) -> Envelope:
        """Parse and validate; raise MessageError naming the bad field."""
        try:
            raw = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MessageError("$", f"not JSON: {exc}") from exc
        return cls.from_dict(raw)
