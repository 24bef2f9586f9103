"""Refusing a summons by someone without write access: the label goes, a comment says why.

The label is removed, not left on: left on, it would look like a task to
whoever reads the issue, and a later reconcile poll would have to refuse it
again. Both the webhook and the poll refuse through here, with the same words.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bzzz.errors import GitHubError

if TYPE_CHECKING:
    from bzzz.github import GitHubApi

log = logging.getLogger(__name__)

REFUSAL = (
    "Thanks for the interest, @{login}! Only people with write access to this repository "
    "can hand an issue to Bzzz, so no agent will pick this up, and Bzzz removed the "
    "`{label}` label again. A maintainer can add it to start one."
)
NOBODY = (
    "Bzzz could not tell who added the `{label}` label, so no agent will pick this up, and "
    "Bzzz removed the label again. A maintainer can add it to start one."
)


def refuse_summons(api: GitHubApi, repo: str, number: int, login: str | None, label: str) -> None:
    """Remove the summon label and say why; GitHub failing here is logged, never raised.

    When the label cannot be removed, nothing is posted: the next poll refuses the
    label again and comments once it is gone, so a failing removal never repeats
    the comment every five minutes.
    """
    try:
        api.remove_label(repo, number, label)
    except GitHubError as exc:
        log.warning("could not remove %s from %s#%d: %s", label, repo, number, exc)
        return
    body = REFUSAL.format(login=login, label=label) if login else NOBODY.format(label=label)
    try:
        api.comment(repo, number, body)
    except GitHubError as exc:
        log.warning("could not post the refusal on %s#%d: %s", repo, number, exc)
