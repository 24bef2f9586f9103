"""One repository's poll: compare the labelled open issues with the repository's tasks."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from bzzz.config import Settings
from bzzz.errors import TransitionError
from bzzz.reconcile.credentials import GitHubFor
from bzzz.store.models import Repo, Task
from bzzz.tasks.lifecycle import Lifecycle
from bzzz.tasks.states import TERMINAL, State

log = logging.getLogger(__name__)

_ACTIVE = {s.value for s in State} - {s.value for s in TERMINAL}


@dataclass
class PollOutcome:
    created: int = 0
    cancelled: int = 0


def known_repos() -> list[str]:
    """The registry's enabled repositories."""
    return [repo.full_name for repo in Repo.scan(Repo.enabled == 1)]


class RepoPoll:
    def __init__(self, settings: Settings, lifecycle: Lifecycle, github: GitHubFor) -> None:
        self._settings = settings
        self._lifecycle = lifecycle
        self._github = github

    def poll(self, repo: str, project_id: int | None, now: float) -> PollOutcome | None:
        """Reconcile `repo`; None when GitHub says nothing changed since the kept ETag."""
        row = _row(repo)
        etag = row.issues_etag if row is not None else None
        issues, new_etag = self._github(repo).labelled_issues(
            repo, self._settings.summon_label, etag
        )
        if issues is None:
            return None
        labelled = {issue.number: issue for issue in issues}
        tasks = {int(t.number): t for t in Task.by_repo.query(repo)}
        outcome = PollOutcome()
        for number, issue in sorted(labelled.items()):
            if number in tasks:
                continue  # webhooks (or an earlier run) created it; a finished one stays so
            _, created = self._lifecycle.create(repo, number, issue.title)
            if created:
                log.info("created the missed task %s#%d", repo, number)
                outcome.created += 1
        for number, task in sorted(tasks.items()):
            # A task created since this run began may be newer than what the listing shows.
            if task.state in _ACTIVE and number not in labelled and task.created_at < now:
                try:
                    self._lifecycle.cancel(task.key, "the issue was closed or lost the label")
                except TransitionError as refused:
                    log.info("not cancelling %s: %s", task.key, refused)
                    continue
                outcome.cancelled += 1
        # Only now: a failure above leaves the old ETag, so the next run looks again.
        _save_etag(repo, row, project_id, new_etag, now)
        return outcome


def _row(repo: str) -> Repo | None:
    try:
        return Repo.get(repo, consistent_read=True)
    except DoesNotExist:
        return None


def _save_etag(
    repo: str, row: Repo | None, project_id: int | None, etag: str | None, now: float
) -> None:
    if row is not None:
        etag_action = Repo.issues_etag.remove() if etag is None else Repo.issues_etag.set(etag)
        row.update(actions=[etag_action, Repo.updated_at.set(now)])
        return
    # A repository Hive serves that the registry has not seen: register it.
    owner, _, name = repo.partition("/")
    Repo(
        repo,
        project_id=project_id or 0,
        owner=owner,
        name=name,
        git_url=f"https://github.com/{repo}.git",
        issues_etag=etag,
        updated_at=now,
    ).save()
