"""Text someone else wrote (a sandbox's output, a repository's paths, a stored eval run),
made safe to show as text: the one place for it.

`printable` drops terminal escape sequences and control, format (bidi overrides,
zero-width characters) and surrogate characters. HTML escaping is the templates' (Jinja's
autoescape); stripping hidden *instructions* from issue text is bzzz.github.text's.
"""

from __future__ import annotations

import re
import unicodedata

# Terminal escape sequences (ECMA-48), 7-bit and 8-bit: CSI (colours, cursor moves), OSC
# (titles, hyperlinks), DCS/SOS/PM/APC strings, and the short ESC-letter forms. An
# unterminated string sequence runs to the end, as a terminal would swallow it.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])(?:[^\x07\x1b\x9c]*)(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs"})  # controls, format (bidi, zero-width), surrogates


def printable(text: str, keep: str = "") -> str:
    """`text` without escape sequences and without control, format and surrogate characters
    (those in `keep` aside): what a sandbox or a repository wrote, safe to show as text."""
    text = _ESCAPES.sub("", text)
    return "".join(ch for ch in text if ch in keep or unicodedata.category(ch) not in _UNPRINTABLE)
