"""When help goes to humans: the escalation handler's knobs, read from its environment.

BZZZ_HELP_TIMEOUT_SECONDS   a help request unanswered this long is escalated (default 600)
BZZZ_MAX_HELP_ROUNDS        help requests on one task before escalating at once (default 3)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bzzz.errors import ConfigError


@dataclass(frozen=True)
class EscalationPolicy:
    help_timeout_seconds: float = 600.0  # a help request unanswered this long goes to humans
    max_rounds: int = 3  # help requests on one thread before humans are asked at once
    webhook_attempts: int = 3
    webhook_backoff_seconds: float = 0.5

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> EscalationPolicy:
        env = os.environ if environ is None else environ

        def number(variable: str, default: float) -> float:
            raw = env.get(variable, "").strip()
            try:
                value = float(raw) if raw else default
            except ValueError:
                raise ConfigError(variable, f"must be a number, got {raw!r}") from None
            if value <= 0:
                raise ConfigError(variable, f"must be above 0, got {raw}")
            return value

        return cls(
            help_timeout_seconds=number("BZZZ_HELP_TIMEOUT_SECONDS", 600.0),
            max_rounds=int(number("BZZZ_MAX_HELP_ROUNDS", 3)),
        )
