"""What a routed handler gets: the event, a logger bound to the delivery, GitHub on demand."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bzzz.errors import InputError
from bzzz.webhooks.event import WebhookEvent

if TYPE_CHECKING:
    from bzzz.github import GitHubApi

log = logging.getLogger("bzzz.webhooks")

# Makes a GitHub client for an installation id (None: the configured token).
GitHubFactory = Callable[[int | None], "GitHubApi"]


@dataclass
class Context:
    event: WebhookEvent
    github_factory: GitHubFactory
    logger: logging.LoggerAdapter[logging.Logger] = field(init=False)
    _github: GitHubApi | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.logger = logging.LoggerAdapter(
            log, {"delivery_id": self.event.id, "event": self.event.key}
        )

    @property
    def payload(self) -> dict[str, Any]:
        return self.event.payload

    def github(self) -> GitHubApi:
        """The GitHub client for this delivery's installation, made on first use."""
        if self._github is None:
            installation = self.payload.get("installation")
            installation_id = installation.get("id") if isinstance(installation, dict) else None
            self._github = self.github_factory(
                installation_id if isinstance(installation_id, int) else None
            )
        return self._github

    def repo(self) -> str:
        """`owner/name` of the event's repository; InputError when it has none."""
        return str(self._field("repository", "full_name"))

    def issue_number(self) -> int:
        number = self._field("issue", "number")
        if not isinstance(number, int) or isinstance(number, bool):
            raise InputError("payload.issue.number", f"must be an integer, got {number!r}")
        return number

    def sender(self) -> str:
        return str(self._field("sender", "login"))

    def sender_is_bot(self) -> bool:
        sender = self.payload.get("sender")
        return isinstance(sender, dict) and sender.get("type") == "Bot"

    def happened_at(self, section: str, name: str) -> float | None:
        """A timestamp of the payload (`issue.updated_at`) as epoch seconds; None when absent.

        GitHub writes ISO 8601 in UTC (`2026-12-03T11:00:00Z`); anything else is refused
        with the field's name rather than guessed.
        """
        container = self.payload.get(section)
        raw = container.get(name) if isinstance(container, dict) else None
        if raw in (None, ""):
            return None
        try:
            moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"payload.{section}.{name}", f"not an ISO 8601 time: {raw!r}"
            ) from None
        if moment.tzinfo is None:
            raise InputError(f"payload.{section}.{name}", f"has no time zone: {raw!r}")
        return moment.timestamp()

    def _field(self, section: str, name: str) -> Any:
        container = self.payload.get(section)
        if not isinstance(container, dict) or container.get(name) in (None, ""):
            raise InputError(
                f"payload.{section}.{name}", f"absent: does not apply to {self.event.key}"
            )
        return container[name]
