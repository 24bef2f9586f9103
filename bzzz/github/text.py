"""Text from GitHub made safe to put in front of a model."""

from __future__ import annotations

import re

# HTML comments and <details>/<summary>-free hidden markup: an issue author can
# hide instructions from human readers in these; an agent must not see them.
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_HIDDEN_ELEMENT = re.compile(
    r"<(?P<tag>[a-zA-Z][\w-]*)\b[^>]*\b(hidden|style\s*=\s*[\"'][^\"']*display\s*:\s*none)[^>]*>"
    r".*?</(?P=tag)\s*>",
    re.DOTALL | re.IGNORECASE,
)


def strip_hidden_html(text: str | None) -> str:
    """Remove HTML comments and elements hidden from readers (`hidden`, `display:none`)."""
    if not text:
        return ""
    without_comments = _COMMENT.sub("", text)
    return _HIDDEN_ELEMENT.sub("", without_comments).strip()


# Every comment Bzzz posts carries this hidden mark (GitHubApi.comment adds it),
# so that the webhook never mistakes Bzzz's own words for a human's when the
# control plane posts with a person's token rather than as an App (bot).
OWN_MARK = "<!-- bzzz -->"


def marked(body: str) -> str:
    return body if "<!-- bzzz" in body else f"{body}\n\n{OWN_MARK}"


def is_ours(body: str | None) -> bool:
    """True for a comment Bzzz wrote (any `<!-- bzzz…` mark, e.g. the status comment's)."""
    return bool(body) and "<!-- bzzz" in str(body)
