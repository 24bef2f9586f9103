"""The scheduled reconcile poll: repair whatever the webhooks and the agents left undone.

One `Reconciler.run()` (every 5 minutes by default):

1. Sweep the table (bzzz.reconcile.leases): requeue expired leases, fail tasks
   past their last attempt (with a comment), republish long-queued tasks; start
   the review rounds whose feedback has been quiet long enough, after taking the
   review feedback whose webhook was missed (bzzz.review.catch_up: one list of
   the open pull requests per repository that has any of Bzzz's).
2. Poll GitHub: the repositories come from Hive's active-repos when `HIVE_URL`
   is set (the registry if Hive is down), else from the registry. For each,
   the open issues with the summon label are listed with the ETag kept in
   `Repo.issues_etag`; a 304 costs no rate limit. A labelled issue without any
   task gets one (a missed webhook); an active task whose issue is no longer
   in the list (closed, or the label removed) is cancelled. A finished,
   failed or cancelled task is never re-summoned here: relabelling does that.
3. A spent rate limit stops the poll; the repository it stopped at and
   GitHub's reset time are kept (bzzz.reconcile.cursor) and the next run
   resumes there. Any other GitHub failure skips that repository, which keeps
   its old ETag and is therefore polled again next run.

The run never raises for GitHub or Hive trouble; it returns counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bzzz import aws
from bzzz.audit.wiring import control_plane_listeners
from bzzz.config import Settings
from bzzz.errors import GitHubError, GitHubRateLimitError
from bzzz.hive.client import HiveClient, HiveError, hive_from_settings
from bzzz.reconcile.credentials import GitHubFor, GitHubPicker
from bzzz.reconcile.cursor import Cursor, clear, load, resume_order, save
from bzzz.reconcile.leases import give_up_comment, sweep
from bzzz.reconcile.repos import RepoPoll, known_repos
from bzzz.review.catch_up import catch_up
from bzzz.review.rounds import fire_due
from bzzz.tasks.lifecycle import Lifecycle, Publisher

if TYPE_CHECKING:
    from bzzz.secrets import SecretStore

log = logging.getLogger(__name__)


@dataclass
class ReconcileSummary:
    repos: int = 0
    polled: int = 0
    unchanged: int = 0
    created: int = 0
    cancelled: int = 0
    refused: int = 0  # labels by people without write access, removed
    requeued: int = 0
    failed: int = 0
    republished: int = 0
    rounds_started: int = 0  # review rounds whose feedback was quiet long enough
    feedback_caught: int = 0  # review feedback whose webhook was missed
    errors: int = 0
    rate_limited: bool = False
    unfinished: bool = False  # out of time making missed tasks: the next run resumes there
    hive_unavailable: bool = False
    resume_repo: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Reconciler:
    def __init__(
        self,
        settings: Settings,
        *,
        github: GitHubFor,
        publisher: Publisher,
        hive: HiveClient | None = None,
        clock: Callable[[], float] = time.time,
        stuck_seconds: float | None = None,
        dynamodb: Any = None,
        budget_seconds: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._github = github
        self._publisher = publisher
        self._hive = hive
        self._clock = clock
        self._db = dynamodb or aws.client("dynamodb", settings)
        self._lifecycle = Lifecycle(
            settings,
            publisher=publisher,
            clock=clock,
            dynamodb=self._db,
            listeners=control_plane_listeners(settings),
        )
        # Twice the lease: long enough that a runner between receiving and claiming is not raced.
        self._stuck_seconds = stuck_seconds or 2.0 * settings.lease_seconds
        # How long one run may spend making missed tasks (two GitHub requests and a write
        # each). After an outage there may be hundreds: unbounded, one run took minutes
        # and its sweep of expired leases waited for the next (bench/scale, 1,000 tasks).
        self._budget = budget_seconds or min(120.0, max(5.0, settings.lease_seconds / 2))
        self._monotonic = monotonic

    def run(self) -> ReconcileSummary:
        summary = ReconcileSummary()
        now = self._clock()
        swept = sweep(self._lifecycle, now, self._stuck_seconds)
        summary.requeued, summary.republished = len(swept.requeued), len(swept.republished)
        summary.failed = len(swept.failed)
        try:
            summary.feedback_caught = catch_up(self._settings, self._db, self._github, self._clock)
        except GitHubRateLimitError as exc:  # the issue poll below meets the same limit
            log.warning("review feedback poll stopped: %s", exc)
        summary.rounds_started = self.fire_rounds()
        for task in swept.failed:
            try:
                self._github(task.repo).comment(
                    task.repo, int(task.number), give_up_comment(task, self._settings.summon_label)
                )
            except GitHubError as exc:
                # The status comment still shows the failure (status sync retries it).
                log.warning("could not comment on %s: %s", task.key, exc)
                summary.errors += 1
        self._poll(summary, now)
        return summary

    def fire_rounds(self) -> int:
        """Start the review rounds that are due (bzzz.review.rounds); how many started.

        Also run on its own, more often than the whole poll, where a scheduler
        allows it (the local supervisor): the quiet period is what delays a round.
        """
        return fire_due(self._settings, self._lifecycle, self._db, self._clock).started

    def _repos(self, summary: ReconcileSummary) -> dict[str, int | None]:
        """Repository → Hive project id (None when it comes from the registry)."""
        if self._hive is not None:
            try:
                repos = self._hive.active_repos()
                served = (r for r in repos if self._settings.serves(r.full_name))
                return {r.full_name: r.project_id for r in served}
            except HiveError as exc:
                log.warning("Hive unavailable, polling the registry's repositories: %s", exc)
                summary.hive_unavailable = True
        return dict.fromkeys(known_repos(self._settings))

    def _poll(self, summary: ReconcileSummary, now: float) -> None:
        repos = self._repos(summary)
        summary.repos = len(repos)
        if not repos:
            log.warning(
                "no repository to poll: the registry is empty and BZZZ_REPOSITORIES unset "
                "(with token auth, only BZZZ_REPOSITORIES names them)"
            )
        cursor = load(self._settings, self._db)
        if cursor is not None and cursor.not_before > now:
            summary.rate_limited, summary.resume_repo = True, cursor.resume_repo
            return
        poll = RepoPoll(self._settings, self._lifecycle, self._github, self._monotonic)
        deadline = self._monotonic() + self._budget
        for repo in resume_order(list(repos), cursor):
            if self._monotonic() >= deadline:
                self._stop_at(summary, repo, now)
                return
            try:
                outcome = poll.poll(repo, repos[repo], now, deadline)
            except GitHubRateLimitError as exc:
                retry_at = self._clock() + max(exc.retry_after, 1.0)
                save(self._settings, self._db, Cursor(repo, retry_at), now)
                summary.rate_limited, summary.resume_repo = True, repo
                log.warning("rate limit spent at %s; resuming there after %.0fs", repo, retry_at)
                return
            except GitHubError as exc:
                log.warning("skipping %s this run: %s", repo, exc)
                summary.errors += 1
                continue
            summary.polled += 1
            if outcome is None:
                summary.unchanged += 1
            else:
                summary.created += outcome.created
                summary.refused += outcome.refused
                summary.cancelled += outcome.cancelled
                if outcome.unfinished:
                    self._stop_at(summary, repo, now)
                    return
        if cursor is not None:
            clear(self._settings, self._db)

    def _stop_at(self, summary: ReconcileSummary, repo: str, now: float) -> None:
        """Out of this run's time: the next run starts at `repo` (no wait: not a limit)."""
        save(self._settings, self._db, Cursor(repo, now), now)
        summary.unfinished, summary.resume_repo = True, repo
        log.info("out of this run's time at %s; the next run resumes there", repo)


def build_reconciler(settings: Settings, secrets: SecretStore | None = None) -> Reconciler:
    """A Reconciler wired to the settings' tables, bus, GitHub credentials and Hive."""
    from bzzz.bus import Bus
    from bzzz.secrets import SecretStore
    from bzzz.store.models import bind

    bind(settings)
    store = secrets or SecretStore(settings)
    return Reconciler(
        settings,
        github=GitHubPicker(settings, store),
        publisher=Bus(settings),
        hive=hive_from_settings(settings, store),
    )
