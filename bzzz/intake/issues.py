"""`issues` deliveries: the summon label creates a task, its removal or closing cancels it.

A writer's label approves the issue's text as the delivery carries it
(bzzz.intake.approval); a writer's later edit approves the new text, an edit
by anyone else approves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bzzz.config import Settings
from bzzz.errors import GitHubError, TaskNotFoundError, TransitionError
from bzzz.github import is_writer
from bzzz.intake.approval import approve, payload_digest
from bzzz.intake.refusal import refuse_summons
from bzzz.store.models import Task
from bzzz.tasks.keys import task_key
from bzzz.tasks.lifecycle import Actor, Lifecycle
from bzzz.tasks.states import ACTIVE, TERMINAL, State
from bzzz.webhooks import Context, Outcome, Router

Announce = Callable[[Task], None]


def deferred(what: str, exc: GitHubError) -> Outcome:
    """GitHub failed us mid-decision: decide nothing, keep the delivery redeliverable.

    The reconcile poll sees the same issue on its next run, so nothing is lost;
    answering 202 (not 5xx) keeps GitHub's failure view for our own faults.
    """
    retry = f" (retry after {exc.retry_after:.0f}s)" if hasattr(exc, "retry_after") else ""
    return Outcome(202, f"{what} deferred: {exc}{retry}; the reconcile poll decides", final=False)


def role_of(ctx: Context, repo: str, login: str) -> str:
    return ctx.github().role(repo, login)


class IssueEvents:
    def __init__(
        self, settings: Settings, lifecycle: Lifecycle, announce: Announce, dynamodb: Any
    ) -> None:
        self._settings = settings
        self._lifecycle = lifecycle
        self._announce = announce
        self._db = dynamodb

    def register(self, router: Router) -> None:
        router.on("issues.labeled", screen=self._screen_labeled)(self.labeled)
        router.on("issues.unlabeled", screen=self._screen_summon)(self.unlabeled)
        router.on("issues.closed")(self.closed)
        router.on("issues.edited")(self.edited)
        router.ignore("issues")

    def _screen_summon(self, ctx: Context) -> str | None:
        label = ctx.payload.get("label")
        name = label.get("name") if isinstance(label, dict) else None
        summon = isinstance(name, str) and name.lower() == self._settings.summon_label.lower()
        return None if summon else "not the summon label"

    def _screen_labeled(self, ctx: Context) -> str | None:
        issue = ctx.payload.get("issue")
        issue = issue if isinstance(issue, dict) else {}
        if "pull_request" in issue:
            return "label on a pull request: Bzzz takes issues only"
        if issue.get("state") == "closed":
            return "the issue is closed"
        return self._screen_summon(ctx)

    def labeled(self, ctx: Context) -> Outcome:
        issue: dict[str, Any] = ctx.payload.get("issue") or {}
        repo, number, sender = ctx.repo(), ctx.issue_number(), ctx.sender()
        try:
            role = role_of(ctx, repo, sender)
        except GitHubError as exc:
            return deferred(f"permission check of {sender}", exc)
        key = task_key(repo, number)
        if not is_writer(role, sender, self._settings.allowed_for(repo)):
            refuse_summons(ctx.github(), repo, number, sender, self._settings.summon_label)
            return Outcome.ignored(f"{sender} has role {role!r}, not write: no task", key)
        approved = (payload_digest(issue), f"github:{sender}")
        # The labelling moves the issue's updated_at: the event's time, the same in every
        # redelivery of it, so one from before a finished task cannot redo that task.
        labelled_at = ctx.happened_at("issue", "updated_at")
        task, created = self._lifecycle.create(
            repo,
            number,
            str(issue.get("title") or ""),
            approved=approved,
            event_at=labelled_at,
            delivery=ctx.event.id,
        )
        if created:
            return Outcome.done("task created", key, created=True)
        if State(task.state) in TERMINAL:
            return Outcome.ignored(
                f"task already {task.state}, after this label: a new task needs a new label", key
            )
        # Labelled again by a writer: the text they see now is approved.
        self._approve(key, *approved)
        if task.state == State.QUEUED.value:
            # Publishing is at-least-once: announce again in case the first one was lost.
            self._announce(task)
            return Outcome.done("task already queued; announced again", key)
        return Outcome.done(f"task already {task.state}", key)

    def _approve(self, key: str, digest: str, by: str) -> bool:
        return approve(self._settings, self._db, key, digest, by)

    def edited(self, ctx: Context) -> Outcome:
        """A writer's edit approves the new text; anyone else's leaves the approval as it was."""
        if ctx.sender_is_bot():
            return Outcome.ignored("issues.edited by a bot approves nothing")
        key = task_key(ctx.repo(), ctx.issue_number())
        task = self._lifecycle.get(key)
        if task is None or State(task.state) not in ACTIVE:
            return Outcome.ignored("issues.edited: no active task on this issue", key)
        sender = ctx.sender()
        try:
            role = role_of(ctx, ctx.repo(), sender)
        except GitHubError as exc:
            return deferred(f"permission check of {sender}", exc)
        if not is_writer(role, sender, self._settings.allowed_for(ctx.repo())):
            return Outcome.ignored(
                f"edit by {sender} (role {role!r}): not approved; a writer must approve it", key
            )
        self._approve(key, payload_digest(ctx.payload.get("issue")), f"github:{sender}")
        return Outcome.done(f"edit by {sender} approved", key)

    def unlabeled(self, ctx: Context) -> Outcome:
        return self._cancel(ctx, f"summon label removed by {ctx.sender()}")

    def closed(self, ctx: Context) -> Outcome:
        return self._cancel(ctx, f"issue closed by {ctx.sender()}")

    def _cancel(self, ctx: Context, reason: str) -> Outcome:
        key = task_key(ctx.repo(), ctx.issue_number())
        return cancel(self._lifecycle, key, reason, ctx.sender())


def cancel(lifecycle: Lifecycle, key: str, reason: str, login: str) -> Outcome:
    """Cancel on a writer's word (label removed, issue closed, `/bzzz stop`)."""
    try:
        lifecycle.cancel(key, reason, Actor.human(login))
    except TaskNotFoundError:
        return Outcome.ignored("no task for this issue", key)
    except TransitionError as exc:
        return Outcome.ignored(f"task already {exc.state}", key)
    return Outcome.done("task cancelled", key)
