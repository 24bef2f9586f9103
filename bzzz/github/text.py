"""Text from GitHub made safe to put in front of a model: what readers cannot see is removed.

An issue author can hide instructions from human readers and still have a
model read them. Each way of hiding is removed before anything is read or
stored:

- invisible characters: Unicode tag characters (U+E0000–E007F, which spell
  ASCII invisibly), every format character (category Cf: zero-width space and
  joiners, bidirectional overrides, soft hyphen, BOM), variation selectors and
  the Hangul fillers, all of which render as nothing;
- HTML comments, and elements hidden by the `hidden` attribute or by
  `display:none` / `visibility:hidden`, nested ones included: everything up to
  the matching close tag goes, and an element never closed hides (so loses)
  the rest of the text;
- Markdown link-reference definitions, which render as nothing: `[//]: # (…)`
  and its kin (destination `#`, `<>` or `//`) are removed whole; for a real
  link, `[label]: url` stays and its title (a tooltip at most) goes.

Invisible characters go first, so none of them can break up a comment or a tag
and slip through; an over-eager strip only ever removes text, never adds any.
"""

from __future__ import annotations

import re
import unicodedata

# Render as nothing but are not format characters (Cf): variation selectors
# (which can smuggle bytes after an emoji) and the Hangul fillers.
_INVISIBLE_EXTRA = re.compile(
    "[\ufe00-\ufe0f\U000e0000-\U000e007f\U000e0100-\U000e01ef\u115f\u1160\u3164\uffa0]"
)
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_HIDES = re.compile(
    r"(^|\s)hidden(\s|=|/|$)|display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE
)
# Elements without a close tag: hiding one hides only itself (and its attributes).
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})
_VOID |= {"source", "track", "wbr"}
# A link-reference definition on its own line(s): `[label]: destination "title"`.
# A title may run over several lines, but not over a blank one (CommonMark).
_NO_BLANK = r"\n(?![ \t]*\n)"
_TITLE = (
    rf'(?:"(?:[^"\n]|{_NO_BLANK})*"'
    rf"|'(?:[^'\n]|{_NO_BLANK})*'"
    rf"|\((?:[^)\n]|{_NO_BLANK})*\))"
)
_LINK_REFERENCE = re.compile(
    r"^[ ]{0,3}\[(?:[^\]\\\n]|\\.)+\]:[ \t]*\n?[ \t]*(?P<dest><[^>\n]*>|\S+)"
    rf"(?P<title>[ \t]*\n?[ \t]*{_TITLE})?[ \t]*$",
    re.MULTILINE,
)
_HIDDEN_DESTINATIONS = frozenset({"#", "<>", "//", "<#>"})


def strip_invisible(text: str) -> str:
    """Remove every character that renders as nothing (tags, Cf, variation selectors)."""
    text = _INVISIBLE_EXTRA.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _drop_hidden_elements(text: str) -> str:
    tags = list(_TAG.finditer(text))
    kept: list[str] = []
    pos = i = 0
    while i < len(tags):
        tag = tags[i]
        closing, name, attrs = tag.group(1), tag.group(2).lower(), tag.group(3)
        i += 1
        if closing or not _HIDES.search(attrs):
            continue
        kept.append(text[pos : tag.start()])
        pos = tag.end()
        if name in _VOID or attrs.rstrip().endswith("/"):
            continue
        depth = 1
        while i < len(tags) and depth:
            inner = tags[i]
            i += 1
            if inner.group(2).lower() == name and not inner.group(3).rstrip().endswith("/"):
                depth += -1 if inner.group(1) else 1
        # Never closed: a browser hides the rest, so the rest goes.
        pos = tags[i - 1].end() if depth == 0 else len(text)
    kept.append(text[pos:])
    return "".join(kept)


def _drop_link_reference(match: re.Match[str]) -> str:
    if match.group("dest") in _HIDDEN_DESTINATIONS:
        return ""
    if match.group("title") is None:
        return match.group(0)
    return match.group(0)[: match.start("title") - match.start()]


def strip_hidden(text: str | None) -> str:
    """The text a reader of the rendered issue sees, as Markdown (see the module's list)."""
    if not text:
        return ""
    visible = strip_invisible(text)
    visible = _COMMENT.sub("", visible)
    visible = _drop_hidden_elements(visible)
    return _LINK_REFERENCE.sub(_drop_link_reference, visible).strip()


# The name the callers know; it strips more than HTML now.
strip_hidden_html = strip_hidden

# Every comment Bzzz posts carries this hidden mark (GitHubApi.comment adds it),
# so that the webhook never mistakes Bzzz's own words for a human's when the
# control plane posts with a person's token rather than as an App (bot).
OWN_MARK = "<!-- bzzz -->"


def marked(body: str) -> str:
    return body if "<!-- bzzz" in body else f"{body}\n\n{OWN_MARK}"


def is_ours(body: str | None) -> bool:
    """True for a comment Bzzz wrote (any `<!-- bzzz…` mark, e.g. the status comment's)."""
    return bool(body) and "<!-- bzzz" in str(body)
