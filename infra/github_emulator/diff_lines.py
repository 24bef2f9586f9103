"""Where a review comment sits in a pull request's diff: its position and its `diff_hunk`.

GitHub anchors a line comment to a line of the diff: `line` is the line number
in the file on one `side` (RIGHT: the head's version, LEFT: the base's), and
only lines the diff shows (added, removed or context) can carry one. The
comment's `diff_hunk` is its hunk from the `@@` header down to the commented
line; `position` counts the diff's lines below the file's first `@@` header,
so the line just under it is 1 (GitHub's older anchor, still in every reply).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class Anchor:
    position: int
    diff_hunk: str


def anchor(diff: str, line: int, side: str) -> Anchor | None:
    """The anchor of `line` on `side` in this one file's unified diff, or None if not shown."""
    position = 0
    hunk: list[str] = []
    old = new = 0
    started = False
    for text in diff.splitlines():
        match = _HUNK.match(text)
        if match:
            if started:
                position += 1  # a later hunk's header counts as a line of the diff
            started = True
            old, new = int(match.group(1)), int(match.group(2))
            hunk = [text]
            continue
        if not started or text.startswith("\\"):
            continue  # file headers; "\ No newline at end of file"
        position += 1
        hunk.append(text)
        mark = text[:1]
        here_old, here_new = old, new
        if mark == "+":
            new += 1
        elif mark == "-":
            old += 1
        else:
            old, new = old + 1, new + 1
        on_right = side == "RIGHT" and mark != "-" and here_new == line
        on_left = side == "LEFT" and mark != "+" and here_old == line
        if on_right or on_left:
            return Anchor(position, "\n".join(hunk))
    return None
