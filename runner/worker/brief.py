"""What the agent is told: the issue, writers' comments, the task's thread, the reviewed plan.

A comment by anyone else (a drive-by account, a read-only user) could steer
the agent into anything, so it is left out; so is hidden HTML (comments,
`hidden` and `display:none` elements), which readers of the issue never see.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bzzz.github import GitHubApi, is_writer, strip_hidden_html
from bzzz.threads import thread_context
from runner.agent.types import TaskBrief
from runner.errors import ModelUnavailableError

if TYPE_CHECKING:
    from bzzz.hmmm import Participant
    from runner.agent.model import Model

log = logging.getLogger(__name__)


def task_brief(
    api: GitHubApi, key: str, repo: str, number: int, allowed_users: frozenset[str]
) -> TaskBrief:
    issue = api.issue(repo, number)
    writers: dict[str, bool] = {}
    comments = []
    for comment in api.comments(repo, number):
        if comment.author not in writers:
            role = api.role(repo, comment.author)
            writers[comment.author] = is_writer(role, comment.author, allowed_users)
        if writers[comment.author]:
            comments.append((comment.author, strip_hidden_html(comment.body)))
    return TaskBrief(
        key=key, repo=repo, number=number, title=issue.title,
        body=strip_hidden_html(issue.body), comments=comments,
        # An earlier attempt's plans, peers' feedback, help requests and the humans'
        # replies: read before this attempt publishes its own plan.
        extra_context=thread_context(key),
    )  # fmt: skip


def discuss_plan(participant: Participant | None, model: Model, brief: TaskBrief) -> TaskBrief:
    """The brief with the plan and the peers' feedback (HMMM); unchanged when HMMM is off.

    The review is advice: when it fails for any reason but Ollama being away, the
    agent starts without it rather than the task failing.
    """
    if participant is None:
        return brief
    from runner.hmmm import review_plan, with_discussion

    try:
        discussion = review_plan(participant, model, brief)
    except ModelUnavailableError:
        raise
    except Exception as exc:
        log.warning("%s: plan review skipped: %s", brief.key, exc)
        return brief
    return with_discussion(brief, discussion)
