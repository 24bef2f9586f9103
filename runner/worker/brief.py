"""What the agent is told: the issue, writers' comments, the task's thread, the reviewed plan.

A comment by anyone else (a drive-by account, a read-only user) could steer
the agent into anything, so it is left out; so is hidden text (comments,
hidden elements, link-reference comments, invisible characters), which
readers of the issue never see.

The issue's title and body must be the text a writer approved (the task's
`approved_digest`, bzzz.intake.approval): rewritten since by anyone else, the
agent is not briefed at all and the task fails with ApprovalError, whose
message says how a writer approves the new text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bzzz.errors import ApprovalError
from bzzz.github import GitHubApi, is_ours, is_writer, strip_hidden_html
from bzzz.intake.approval import issue_digest
from bzzz.threads import thread_context
from runner.agent.types import TaskBrief
from runner.errors import ModelUnavailableError

if TYPE_CHECKING:
    from pathlib import Path

    from bzzz.hmmm import Participant
    from runner.agent.model import Model
    from runner.config import RunnerSettings
    from runner.repo_config import RepoConfig

log = logging.getLogger(__name__)


CHANGED = (
    "the issue was edited after a maintainer approved it, so no agent read it; a person "
    "with write access approves the new text with a `/bzzz retry` comment, or by removing "
    "and adding the label again"
)


def task_brief(
    api: GitHubApi,
    key: str,
    repo: str,
    number: int,
    allowed_users: frozenset[str],
    approved_digest: str | None = None,
) -> TaskBrief:
    issue = api.issue(repo, number)
    # A task from before approvals were recorded has no digest: nothing to compare.
    if approved_digest and issue_digest(issue.title, issue.body) != approved_digest:
        raise ApprovalError(CHANGED)
    writers: dict[str, bool] = {}
    comments = []
    for comment in api.comments(repo, number):
        # Bzzz's own comments (the status comment, its ✅/❌) are no maintainer's word, and
        # asking for their author's role was one permission request per task for nothing.
        if is_ours(comment.body) or comment.author.endswith("[bot]"):
            continue
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


def discuss_plan(
    participant: Participant | None, model: Model, brief: TaskBrief, attempt: int = 1
) -> TaskBrief:
    """The brief with the plan and the peers' feedback (HMMM); unchanged when HMMM is off.

    The review is advice: when it fails for any reason but Ollama being away, the
    agent starts without it rather than the task failing.
    """
    if participant is None:
        return brief
    from runner.hmmm import review_plan, with_discussion

    try:
        discussion = review_plan(participant, model, brief, attempt=attempt)
    except ModelUnavailableError:
        raise
    except Exception as exc:
        log.warning("%s: plan review skipped: %s", brief.key, exc)
        return brief
    return with_discussion(brief, discussion)


def repo_config(
    runner: RunnerSettings,
    api: GitHubApi,
    checkout: Path,
    brief: TaskBrief,
    record: Callable[..., Any],
) -> RepoConfig:
    """The repository's .bzzz.yml (or .github/bzzz.yml); a malformed one is named on the
    issue, defaults used. Its test command, when it names none, is found from the files."""
    from runner.repo_config import load_repo_config
    from runner.test_command import choose_test_command

    # The runner's own image is always allowed, whatever else the operator listed.
    images = (runner.sandbox_image, *runner.repo_limits.images)
    config = load_repo_config(checkout, limits=replace(runner.repo_limits, images=images))
    # Without a `test` field, found from the fresh clone, before any sandbox can change it.
    test = choose_test_command(config.test_command, checkout)
    record("test_command", test=test)
    config = replace(config, test_command=test.command if test else None)
    if config.problems:
        record("repo_config", problems=config.problems)
        listed = "\n".join(f"- {problem}" for problem in config.problems)
        api.comment(
            brief.repo,
            brief.number,
            f"Bzzz could not use part of `{config.source or '.bzzz.yml'}`; defaults are used "
            f"instead:\n\n{listed}",
        )
    return config
