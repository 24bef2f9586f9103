"""Model and repository text made inert before Bzzz posts it on GitHub.

What a model wrote (a summary, a help request, a plan, a command it ran) or
what a repository printed (test output) is hostile: posted as is, an
`@login` notifies whoever it names, and `Fixes #12` in a pull request body or
a commit message closes issue 12 when the pull request is merged. Bzzz's own
words (the "Fixes #N"/"Refs #N" line of its pull request, the maintainers it
asks for help) are added around neutralised text, never through it.

- `@login` and `@org/team` become `@` + zero-width space + `login`: it reads
  the same, and GitHub neither links nor notifies (the way Dependabot quotes
  release notes). An e-mail address (`a@b.c`) is left alone.
- A closing keyword (close, closes, closed, fix, fixes, fixed, resolve,
  resolves, resolved) followed by an issue reference (`#N`, `GH-N`,
  `owner/repo#N`, an issue URL) gets a zero-width space inside the keyword,
  so no issue is closed; the reference itself stays a plain link. This holds
  for the task's own issue too: whether the pull request closes it is Bzzz's
  decision (tests passed or not), never the model's.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_MENTION = re.compile(r"(?<![\w`@./-])@(?=[A-Za-z0-9])")
_REFERENCE = r"(?:(?:[\w.-]+/[\w.-]+)?#\d|GH-\d|https?://\S+/(?:issues|pull)/\d)"
_CLOSING = re.compile(
    rf"\b(close[sd]?|fix(?:e[sd])?|resolve[sd]?)(?=[ \t]*:?[ \t]*{_REFERENCE})",
    re.IGNORECASE,
)


def neutralise(text: str) -> str:
    """`text` with no live @mention and no closing keyword (see the module's rules)."""
    if not text:
        return ""
    quiet = _MENTION.sub("@" + ZWSP, text)
    return _CLOSING.sub(lambda m: m.group(1)[0] + ZWSP + m.group(1)[1:], quiet)


def fence(text: str) -> str:
    """`text` in a fenced code block that no run of backticks inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}\n{text}\n{ticks}"
