"""When help goes to humans: the escalation handler's knobs.

Read from Settings (BZZZ_HELP_TIMEOUT_SECONDS, default 600; BZZZ_MAX_HELP_ROUNDS,
default 3), like every other setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from bzzz.config import Settings


@dataclass(frozen=True)
class EscalationPolicy:
    help_timeout_seconds: float = 600.0  # a help request unanswered this long goes to humans
    max_rounds: int = 3  # help requests on one thread before humans are asked at once
    webhook_attempts: int = 3
    webhook_backoff_seconds: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> EscalationPolicy:
        return cls(
            help_timeout_seconds=float(settings.help_timeout_seconds),
            max_rounds=settings.max_help_rounds,
        )
