"""Telling humans: the signed N8N-compatible webhook, the maintainers to mention, the comment.

The webhook body is JSON; `X-Bzzz-Signature-256: sha256=<hex HMAC-SHA256 of
the body with the escalation secret>` signs it (GitHub's scheme, so N8N's
HMAC check and our own `verify` both apply), and `Idempotency-Key` is the
same for every retry of one round's escalation, so a receiver that
de-duplicates sees it once even when we have to send it twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from bzzz.errors import BzzzError, GitHubError
from bzzz.github.neutralise import neutralise
from bzzz.threads import Entry, render_details

if TYPE_CHECKING:
    from bzzz.github import GitHubApi

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Bzzz-Signature-256"
IDEMPOTENCY_HEADER = "Idempotency-Key"
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
ESCALATED_LABEL = "bzzz:escalated"
MARKER = "<!-- bzzz:escalation -->"


class EscalationDeliveryError(BzzzError):
    """The escalation webhook did not accept the payload after every retry."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a signature header (what a receiver does)."""
    return hmac.compare_digest(sign(secret, body), signature or "")


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    secret: str,
    idempotency_key: str,
    attempts: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """POST the signed payload; retry transport errors, 429 and 5xx with exponential backoff."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "bzzz-escalation",
        SIGNATURE_HEADER: sign(secret, body),
        IDEMPOTENCY_HEADER: idempotency_key,
        "X-Bzzz-Event": "escalation",
    }
    problem = ""
    for attempt in range(attempts):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            reply = httpx.post(url, content=body, headers=headers, timeout=10.0)
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
            continue
        if reply.status_code < 300:
            return reply.status_code
        problem = f"HTTP {reply.status_code}"
        if reply.status_code != 429 and reply.status_code < 500:
            break  # the receiver refuses this payload: retrying changes nothing
    raise EscalationDeliveryError(f"escalation webhook {url} failed: {problem}")


def maintainers(api: GitHubApi, repo: str) -> list[str]:
    """Whom to mention: CODEOWNERS' owners when the repo has one, else admins and maintainers."""
    for path in CODEOWNERS_PATHS:
        try:
            text = api.file_text(repo, path)
        except GitHubError as exc:  # a failure to look is not a reason to stay silent
            log.warning("reading %s of %s failed: %s", path, repo, exc)
            continue
        owners = _codeowners(text or "")
        if owners:
            return owners
    try:
        people = api.collaborators(repo)
    except GitHubError as exc:
        log.warning("listing collaborators of %s failed: %s", repo, exc)
        return []
    return [login for login, role in people if role in ("admin", "maintain")][:10]


def _codeowners(text: str) -> list[str]:
    owners: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        for token in line.split()[1:]:
            if token.startswith("@") and token[1:] not in owners:
                owners.append(token[1:])
    return owners[:10]


def comment_body(reason: str, question: str, mention: list[str], thread: list[Entry]) -> str:
    who = " ".join(f"@{m}" for m in mention) or "maintainers"
    # The reason and the question are the agent's words: only Bzzz's own line mentions anyone.
    question, reason = neutralise(question), neutralise(reason)
    quoted = "\n".join(f"> {line}" for line in question.strip().splitlines()) or "> (no question)"
    parts = [
        MARKER,
        f"🆘 **Bzzz needs a human** — {who}",
        "",
        f"**Why:** {reason}",
        "",
        "**The agent asked:**",
        quoted,
        "",
        "Reply on this issue to answer: the task goes back to the queue, and the next "
        "agent reads your reply together with the whole discussion below.",
    ]
    details = render_details(thread)
    if details:
        parts += ["", details]
    return "\n".join(parts)
