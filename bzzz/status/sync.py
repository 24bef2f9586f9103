"""Status sync: mirror every `task.*` message onto the issue, and onto Hive.

For each message: react 👀 on the first `task.available` (and, for an installation in
Actions mode, send the queued task a `repository_dispatch`: bzzz.actions_dispatch); keep ONE status
comment per task, posted once and then edited in place; keep exactly the
status label of the task's state (bzzz.status.render.STATUS_LABELS); report
claims and status to Hive when `HIVE_URL` is set, always with `task_number`.

What the comment shows is rendered from the task row (a consistent read), not
from the message, so a late or replayed message can never roll the comment
back; the message adds only the agent's progress (iteration, last command,
exit code). A message whose snapshot version is older than the version the
comment shows is stale and changes nothing, and a message id already handled
(a redelivery) changes nothing either. What was shown is recorded in
`Task.status_shown` with conditional writes (bzzz.status.store).

A GitHub failure raises, so the queue retries the message with backoff and
dead-letters it in the end; a Hive failure does not (Hive is a mirror: its
outage must not hold back the issue's updates, and its next report carries
the whole current state). It is logged and returned for the failures metric.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bzzz import aws
from bzzz.config import Settings
from bzzz.github import GitHubApi
from bzzz.hive.client import HiveClient, hive_from_settings
from bzzz.messages import Envelope, MessageType
from bzzz.reconcile.credentials import GitHubFor, GitHubPicker
from bzzz.status.hive_reports import report_to_hive
from bzzz.status.render import STATUS_LABELS, StatusView, render
from bzzz.status.store import Row, StatusStore, SyncConflictError
from bzzz.threads import render_thread

if TYPE_CHECKING:
    from bzzz.secrets import SecretStore

log = logging.getLogger(__name__)

_REMEMBERED_IDS = 20


@dataclass
class SyncOutcome:
    """What one message changed (for logs and metrics)."""

    result: str  # "synced", "duplicate", "stale", "ignored"
    posted: bool = False
    edited: bool = False
    reacted: bool = False
    dispatched: bool = False  # a repository_dispatch started the Actions job (Actions mode)
    labels: list[str] = field(default_factory=list)
    hive: list[str] = field(default_factory=list)  # "claim", "status", "claim-failed", ...


class StatusSync:
    def __init__(
        self,
        settings: Settings,
        *,
        github: GitHubFor,
        hive: HiveClient | None = None,
        clock: Callable[[], float] = time.time,
        dynamodb: Any = None,
    ) -> None:
        self._settings = settings
        self._github = github
        self._hive = hive
        self._clock = clock
        self._store = StatusStore(settings, dynamodb or aws.client("dynamodb", settings))

    def handle(self, envelope: Envelope) -> SyncOutcome:
        return self.handle_task([envelope])[0]

    def handle_task(self, envelopes: Sequence[Envelope]) -> list[SyncOutcome]:
        """One task's messages, in the order they were sent: each is judged as `handle`
        would judge it alone (duplicate, stale, its reaction and dispatch, its Hive
        report), but the row is read once and the comment, labels and record written
        once, for the last of them. A FIFO batch often holds several messages of one task
        (claimed, progress, progress…); mirroring each alone was a read, a render, an
        edit and a save apiece. A failure raises for all of them: none is recorded as
        handled, so the queue redelivers the lot and the replay changes nothing twice."""
        outcomes = [SyncOutcome("ignored") for _ in envelopes]
        mine = [i for i, e in enumerate(envelopes) if str(e.type).startswith("task.")]
        if not mine:
            return outcomes
        keys = {envelopes[i].task for i in mine}
        if len(keys) != 1:
            raise ValueError(f"handle_task takes one task's messages, not {sorted(keys)}")
        row = self._store.read(keys.pop())
        if row is None:
            log.info("no task %s; nothing to mirror", envelopes[mine[0]].task)
            return outcomes
        shown = row.shown
        new = dict(shown)
        task = row.task
        github = self._github(task.repo)
        synced: list[int] = []
        for i in mine:
            envelope = envelopes[i]
            if envelope.id in new.get("handled", []):
                outcomes[i] = SyncOutcome("duplicate")
                continue
            version = envelope.data.get("version")
            if isinstance(version, int) and version < int(new.get("version", 0)):
                outcomes[i] = SyncOutcome("stale")
                continue
            outcome = outcomes[i] = SyncOutcome("synced")
            new["version"] = max(int(task.version), int(new.get("version", 0)))
            new["progress"] = _progress(envelope, int(task.attempt), new.get("progress"))
            if envelope.type is MessageType.TASK_AVAILABLE and not new.get("reacted"):
                github.react(task.repo, int(task.number), "eyes")
                new["reacted"] = outcome.reacted = True
            if (
                envelope.type is MessageType.TASK_AVAILABLE
                and task.state == "queued"
                and self._settings.dispatches_to_actions(str(task.repo))
            ):
                from bzzz.actions_dispatch import dispatch_task

                dispatch_task(github, task)
                outcome.dispatched = True
            if self._hive is not None:
                outcome.hive = report_to_hive(self._hive, envelope, task)
            new["handled"] = [*new.get("handled", []), envelope.id][-_REMEMBERED_IDS:]
            synced.append(i)
        if not synced:
            return outcomes
        last = outcomes[synced[-1]]  # the comment and labels are written once, for the last
        body = render(self._view(row), new.get("progress"))
        thread = render_thread(task.key)  # the plan review and help, collapsed (HMMM)
        if thread:
            body = f"{body}\n\n{thread}"
        digest = hashlib.sha256(body.encode()).hexdigest()
        new["digest"] = digest
        if row.comment_id is None:
            self._post(github, row, body, new)
            last.posted, last.labels = True, new["labels"]
            return outcomes
        if digest != shown.get("digest"):
            github.edit_comment(task.repo, row.comment_id, body)
            last.edited = True
        new["labels"] = last.labels = self._labels(github, row, shown.get("labels", []))
        self._store.save_shown(task.key, new, row.shown_raw)
        return outcomes

    def _view(self, row: Row) -> StatusView:
        task = row.task
        return StatusView(
            key=task.key,
            state=task.state,
            attempt=int(task.attempt),
            max_attempts=self._settings.max_attempts,
            version=int(task.version),
            agent=task.lease_owner,
            pr_url=task.pr_url,
            branch=task.branch,
            reason=task.reason,
            lease_seconds=self._settings.lease_seconds,
            round=int(task.round or 0),
            max_rounds=self._settings.max_review_rounds,
        )

    def _post(self, github: GitHubApi, row: Row, body: str, new: dict[str, Any]) -> None:
        """Post the one status comment and record it with what it shows (`new`).

        The labels are set first, so that no GitHub call sits between the post and the
        write that records it: a failure there would leave a comment nobody knows of,
        and another would be posted once the reservation lapsed."""
        key, repo, number = row.task.key, row.task.repo, int(row.task.number)
        reserved = self._store.reserve_comment(key, self._clock())
        if reserved is None:
            raise SyncConflictError(f"another status sync is posting the comment of {key}")
        try:
            new["labels"] = self._labels(github, row, row.shown.get("labels", []))
            comment = github.comment(repo, number, body)
        except Exception:
            self._store.release(key, reserved)
            raise
        new["comment_id"] = comment.id
        if self._store.save_posted(key, comment.id, reserved, new, row.shown_raw):
            return
        # The reservation lapsed or the record changed meanwhile: the id first, then the
        # record (which raises for a retry if it changed), each as its own write.
        if not self._store.set_comment(key, comment.id, reserved):
            log.warning("status comment of %s posted after its reservation lapsed", key)
        self._store.save_shown(key, new, row.shown_raw)

    def _labels(self, github: GitHubApi, row: Row, had: list[str]) -> list[str]:
        """Make the issue carry exactly the state's status label; return the labels now set."""
        task = row.task
        wanted = STATUS_LABELS.get(task.state)
        for label in had:
            if label != wanted:
                github.remove_label(task.repo, int(task.number), label)
        if wanted is not None and wanted not in had:
            github.add_labels(task.repo, int(task.number), [wanted])
        return [wanted] if wanted else []


def _progress(envelope: Envelope, attempt: int, previous: Any) -> dict[str, Any] | None:
    """The latest progress of the current attempt (a newer message wins, by send time)."""
    current = previous if isinstance(previous, dict) else None
    if current is not None and current.get("attempt") != int(attempt):
        current = None  # a new attempt starts with no progress
    if envelope.type is not MessageType.TASK_PROGRESS:
        return current
    if current is not None and str(current.get("sent_at", "")) > envelope.sent_at:
        return current
    data = envelope.data
    fresh: dict[str, Any] = {
        k: data[k] for k in ("stage", "iteration", "command", "exit_code") if k in data
    }
    return {**fresh, "attempt": int(data.get("attempt", attempt)), "sent_at": envelope.sent_at}


def build_status_sync(settings: Settings, secrets: SecretStore | None = None) -> StatusSync:
    """A StatusSync wired to the settings' tables, GitHub credentials and Hive."""
    from bzzz.secrets import SecretStore
    from bzzz.store.models import bind

    bind(settings)
    store = secrets or SecretStore(settings)
    return StatusSync(
        settings, github=GitHubPicker(settings, store), hive=hive_from_settings(settings, store)
    )
