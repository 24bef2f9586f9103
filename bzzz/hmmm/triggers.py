"""When an agent's words say it is stuck: the original Bzzz's escalation triggers."""

from __future__ import annotations

import re

_STUCK = re.compile(
    r"\b(stuck|help|human|escalat\w*|clarification needed|manual intervention)\b", re.IGNORECASE
)


def looks_stuck(text: str | None) -> str | None:
    """The first trigger in `text` (lower-cased, `escalat…` as "escalate"), or None."""
    found = _STUCK.search(text or "")
    if not found:
        return None
    word = found.group(1).lower()
    return "escalate" if word.startswith("escalat") else word
