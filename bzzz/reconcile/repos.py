"""One repository's poll: compare the labelled open issues with the repository's tasks.

A labelled issue without a task is a missed webhook only if a writer added the
label: the issue's `labeled` events name who did, and their role is asked as
the webhook asks it. Anyone else's label is refused as the webhook refuses it:
the label is removed, with a comment saying why (bzzz.intake.refusal). The
task it creates approves the text the poll read (bzzz.intake.approval).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from bzzz.config import Settings
from bzzz.errors import TransitionError
from bzzz.github import IssueInfo, is_writer
from bzzz.intake.approval import issue_digest
from bzzz.intake.refusal import refuse_summons
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
    refused: int = 0
    # The run's time ran out before every missed issue had its task: the ETag is not
    # kept, so the next run lists the repository again and goes on (made ones are skipped).
    unfinished: bool = False


def known_repos(settings: Settings) -> list[str]:
    """The registry's enabled repositories and the configured ones (BZZZ_REPOSITORIES), of
    the accounts this Bzzz serves; the registry's spelling (GitHub's own) wins."""
    found = {repo.full_name.lower(): repo.full_name for repo in Repo.scan(Repo.enabled == 1)}
    for name in settings.repositories:
        found.setdefault(name, name)
    return sorted(name for name in found.values() if settings.serves(name))


class RepoPoll:
    def __init__(
        self,
        settings: Settings,
        lifecycle: Lifecycle,
        github: GitHubFor,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._lifecycle = lifecycle
        self._github = github
        self._monotonic = monotonic

    def poll(
        self, repo: str, project_id: int | None, now: float, deadline: float | None = None
    ) -> PollOutcome | None:
        """Reconcile `repo`; None when GitHub says nothing changed since the kept ETag.

        `deadline` (monotonic clock): no missed task is made after it (PollOutcome.unfinished).
        """
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
            if deadline is not None and self._monotonic() >= deadline:
                outcome.unfinished = True
                break
            approver = self._writer_who_labelled(repo, issue)
            if approver is None:
                outcome.refused += 1
                continue
            approved = (issue_digest(issue.title, issue.body), f"github:{approver}")
            _, created = self._lifecycle.create(
                repo, number, issue.title, approved=approved, missed=True
            )
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
        # Only now: a failure above, or a run out of time, leaves the old ETag, so the next
        # run looks again.
        if not outcome.unfinished:
            _save_etag(repo, row, project_id, new_etag, now)
        return outcome

    def _writer_who_labelled(self, repo: str, issue: IssueInfo) -> str | None:
        """The writer who added the summon label; None (and the label refused) otherwise."""
        api = self._github(repo)
        label = self._settings.summon_label
        login = api.labeller(repo, issue.number, label)
        role = api.role(repo, login) if login else "none"
        if login and is_writer(role, login, self._settings.allowed_for(repo)):
            return login
        log.info("refusing %s's label on %s#%d (role %r)", login, repo, issue.number, role)
        refuse_summons(api, repo, issue.number, login, label)
        return None


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
