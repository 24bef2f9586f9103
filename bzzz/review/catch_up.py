"""The reconcile poll's share of review rounds: feedback whose webhook never arrived.

For every finished task whose pull request is open, one conditional request
asks GitHub whether the pull request changed since the ETag kept on the task
(`review_etag`); unchanged, the 304 costs no rate limit and nothing else is
read. The ETag also moves with the repository objects embedded in the answer (a
push to any branch changes every open pull request's), so a changed answer whose
`updated_at` is still the one kept (`review_updated_at`: it moves with reviews,
line comments and comments; kept only from an answer dated a later second, as
GitHub's times have whole seconds) reads nothing more either. The runner keeps both as it
leaves the pull request (runner.worker.outcome.pull_seen). Changed, its reviews,
line comments and conversation are read and each
piece the webhook would have taken (bzzz.review.triggers, writers only, hidden
text stripped, never a bot or Bzzz) that the task has not taken yet
(`feedback_seen`) is added as the webhook adds it; the round then starts as
any other, once quiet (bzzz.review.rounds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bzzz.config import Settings
from bzzz.errors import GitHubError, GitHubRateLimitError
from bzzz.github import GitHubApi, is_ours, is_writer, strip_hidden_html
from bzzz.review.feedback import Feedback
from bzzz.review.rounds import finished_tasks
from bzzz.review.triggers import is_feedback
from bzzz.store.models import Task

log = logging.getLogger(__name__)


def open_pulls(settings: Settings, dynamodb: Any) -> list[Task]:
    """Finished tasks with a pull request that is neither merged nor closed."""
    condition = "attribute_exists(pr_url) AND attribute_not_exists(pr_closed)"
    return finished_tasks(settings, dynamodb, condition, {}, {})


def missed(api: GitHubApi, task: Task, allowed: frozenset[str]) -> list[str]:
    """The `kind:id` of feedback on the task's pull request it has not taken yet."""
    repo, number = str(task.repo), int(str(task.pr_url).rstrip("/").rsplit("/", 1)[-1])
    seen = set(task.feedback_seen or ())
    writers: dict[str, bool] = {}

    def by_writer(author: str, body: str) -> bool:
        if is_ours(body) or author.endswith("[bot]"):
            return False
        if author not in writers:
            writers[author] = is_writer(api.role(repo, author), author, allowed)
        return writers[author]

    found = []
    for note in api.review_feedback(repo, number):
        kind, text = note.ref.split(":", 1)[0], strip_hidden_html(note.body).strip()
        fresh = note.ref not in seen and is_feedback(kind, text, note.state)
        if fresh and by_writer(note.author, note.body):
            found.append(note.ref)
    for comment in api.comments(repo, number):
        ref, text = f"comment:{comment.id}", strip_hidden_html(comment.body).strip()
        if (
            ref not in seen
            and is_feedback("comment", text)
            and by_writer(comment.author, comment.body)
        ):
            found.append(ref)
    return found


def catch_up(
    settings: Settings,
    dynamodb: Any,
    github: Callable[[str], GitHubApi],
    clock: Callable[[], float],
) -> int:
    """Add the feedback whose webhook was missed; how many pieces. Stops at a spent limit."""
    feedback, added = Feedback(settings, dynamodb), 0
    for task in open_pulls(settings, dynamodb):
        key, repo = str(task.key), str(task.repo)
        api = github(repo)
        number = int(str(task.pr_url).rstrip("/").rsplit("/", 1)[-1])
        try:
            seen = api.pull_seen(repo, number, task.review_etag)
            if not seen.changed:
                continue
            # The kept `updated_at` is a settled one: anything since would have moved it.
            if seen.updated_at is not None and seen.updated_at == task.review_updated_at:
                if seen.etag:  # only what it embeds moved: no review, no comment since
                    feedback.remember_seen(key, seen.etag, None)
                continue
            for ref in missed(api, task, settings.allowed_for(repo)):
                if feedback.add(key, ref, round(clock(), 3)):
                    added += 1
                    log.warning("%s: feedback %s had no webhook; taken by the poll", key, ref)
        except GitHubRateLimitError:
            raise
        except GitHubError as exc:  # this pull request's ETag is kept: polled again next run
            log.warning("%s: review feedback not polled: %s", key, exc)
            continue
        if seen.etag:  # an unsettled `updated_at` is not kept: the next change reads all
            feedback.remember_seen(key, seen.etag, seen.updated_at if seen.settled else None)
    return added
