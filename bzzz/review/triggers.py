"""What counts as review feedback: one rule for the webhook and the reconcile poll alike.

`text` is what a reader sees: hidden HTML already stripped (bzzz.github).
Who may give feedback (writers only, never a bot or Bzzz itself) is checked
by the callers, which know the sender.
"""

from __future__ import annotations

import re

MENTION = re.compile(r"(?<![\w@/.-])@bzzz\b", re.IGNORECASE)
COMMAND = re.compile(r"^\s*/bzzz(\s|$)", re.IGNORECASE)


def asks_bzzz(text: str) -> bool:
    """A mention of `@bzzz`, or a `/bzzz` command on the first line."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return bool(MENTION.search(text)) or bool(COMMAND.match(first))


def is_feedback(kind: str, text: str, state: str = "") -> bool:
    """`kind` is review, review_comment or comment (on the pull request's conversation)."""
    if not text:
        return False
    if kind == "review":
        state = state.lower()
        return state != "approved" and (state == "changes_requested" or asks_bzzz(text))
    if kind == "review_comment":
        return True
    return asks_bzzz(text)
