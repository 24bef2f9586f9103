"""The reconcile poll's share of review rounds: feedback whose webhook never arrived.

For every repository with finished tasks whose pull requests are open, its open
pull requests are listed most recently updated first, a hundred a request
(GitHubApi.recent_pulls; on a large repository, a few of Bzzz's far down are asked
for one by one).
A pull request's `updated_at` moves with every review, line comment and comment;
one still at the `updated_at` kept on its task
(`review_updated_at`) reads nothing more. Only a settled `updated_at` is kept
(PullSeen.settled: GitHub's times have whole seconds, so one read in the second
it names may hide a review later in that second). The runner keeps it as it
leaves the pull request (runner.worker.outcome.pull_updated_at). One that moved has its
reviews, line comments and conversation read, and each piece the webhook would
have taken (bzzz.review.triggers, writers only, hidden text stripped, never a bot
or Bzzz) that the task has not taken yet (`feedback_seen`) is added as the
webhook adds it; the round then starts as any other, once quiet
(bzzz.review.rounds).

A list costs one rate-limited request where a conditional read of each pull
request cost one per pull request whenever anything was pushed anywhere in the
repository (its answer embeds the repository, so its ETag moves with every push):
on a busy repository, every open pull request on every run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from bzzz.config import Settings
from bzzz.errors import GitHubError, GitHubRateLimitError
from bzzz.github import (
    GitHubApi,
    OpenPull,
    is_ours,
    is_writer,
    pull_number,
    strip_hidden_html,
)
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
    repo, number = str(task.repo), pull_number(str(task.pr_url))
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
    by_repo: dict[str, dict[int, Task]] = {}
    for task in open_pulls(settings, dynamodb):
        by_repo.setdefault(str(task.repo), {})[pull_number(str(task.pr_url))] = task
    for repo, tasks in sorted(by_repo.items()):
        api = github(repo)
        try:
            moved = changed_pulls(api, repo, tasks)
        except GitHubRateLimitError:
            raise
        except GitHubError as exc:  # nothing kept moved: polled again next run
            log.warning("%s: review feedback not polled: %s", repo, exc)
            continue
        for pull, task in moved:
            key = str(task.key)
            try:
                for ref in missed(api, task, settings.allowed_for(repo)):
                    if feedback.add(key, ref, round(clock(), 3)):
                        added += 1
                        log.warning("%s: feedback %s had no webhook; taken by the poll", key, ref)
            except GitHubRateLimitError:
                raise
            except GitHubError as exc:  # its `updated_at` is not kept: read again next run
                log.warning("%s: review feedback not polled: %s", key, exc)
                continue
            if pull.settled:  # an unsettled one is not kept: the next run reads it again
                feedback.remember_seen(key, pull.updated_at)
    return added


def changed_pulls(api: GitHubApi, repo: str, tasks: dict[int, Task]) -> list[tuple[OpenPull, Task]]:
    """The tasks' open pull requests whose `updated_at` is not the one kept.

    The list comes a hundred a request, most recently updated first (on most
    repositories one page is all of them). Reading stops once every task's pull request
    was met, or once the list is older than every `updated_at` kept for those not met:
    an `updated_at` only moves forward, so theirs are not further down (closed or merged
    since, and the webhook saying so missed too). On a large repository where a page
    held none of them (or one is left), the rest are asked for one by one: paging down
    to a few quiet pull requests would cost more than asking for them.
    """
    waiting, moved, page = dict(tasks), [], 1
    oldest = _oldest_kept(waiting.values())
    while True:
        listed, more = api.recent_pulls(repo, page)
        met = 0
        for pull in listed:
            task = waiting.pop(pull.number, None)
            if task is not None:
                met += 1
                if pull.updated_at != task.review_updated_at:
                    moved.append((pull, task))
                oldest = _oldest_kept(waiting.values())
            if not waiting or _before(pull.updated_at, oldest):
                return moved
        if not more:
            return moved
        if met == 0 or len(waiting) == 1:
            break
        page += 1
    for number, task in sorted(waiting.items()):
        seen = api.pull_seen(repo, number, None)
        if seen.updated_at and seen.updated_at != task.review_updated_at:
            moved.append((OpenPull(number, seen.updated_at, seen.settled), task))
    return moved


def _oldest_kept(tasks: Iterable[Task]) -> datetime | None:
    """The oldest `updated_at` kept on these tasks; None when one has none or it is
    unreadable (that pull request is then looked for to the end of the list)."""
    kept = [t.review_updated_at for t in tasks]
    if not kept or not all(kept):
        return None
    try:
        return min(datetime.fromisoformat(str(k)) for k in kept)
    except ValueError:
        return None


def _before(updated_at: str, oldest: datetime | None) -> bool:
    try:
        return oldest is not None and datetime.fromisoformat(updated_at) < oldest
    except ValueError:
        return False
