"""`issue_comment.created`: `/bzzz` commands and human input, from writers only.

A comment on a pull request is review feedback instead (`on_pull`, bzzz.intake.reviews).

Comments by people without write access never reach an agent: they are
ignored before anything is stored. Hidden HTML is stripped before anything is
read or stored, so instructions hidden from human readers never count.
"""

from __future__ import annotations

from typing import Any

from bzzz.config import Settings
from bzzz.errors import GitHubError, TransitionError
from bzzz.github import is_ours, is_writer, strip_hidden_html
from bzzz.intake.approval import approve, payload_digest
from bzzz.intake.issues import cancel, deferred, role_of
from bzzz.store.models import Task
from bzzz.tasks.keys import task_key
from bzzz.tasks.lifecycle import Actor, Lifecycle
from bzzz.tasks.states import ACTIVE, TERMINAL, State
from bzzz.threads import HUMAN_INPUT, Threads
from bzzz.webhooks import Context, Outcome, Router
from bzzz.webhooks.router import Handler

COMMANDS = ("retry", "stop", "status")
PREFIX = "/bzzz"


def command_of(text: str) -> str | None:
    """`retry`/`stop`/`status` for a comment whose first line is `/bzzz <word>`; else None.

    An unknown word comes back as is, so the caller can say it is unknown.
    """
    first = text.strip().splitlines()[0].strip() if text.strip() else ""
    words = first.split()
    if not words or words[0].lower() != PREFIX:
        return None
    return words[1].lower() if len(words) > 1 else ""


class CommentEvents:
    def __init__(
        self,
        settings: Settings,
        lifecycle: Lifecycle,
        threads: Threads,
        dynamodb: Any,
        on_pull: Handler | None = None,
    ) -> None:
        self._on_pull = on_pull
        self._settings = settings
        self._lifecycle = lifecycle
        self._threads = threads
        self._db = dynamodb

    def register(self, router: Router) -> None:
        router.on("issue_comment.created", screen=self._screen)(self.created)
        router.ignore("issue_comment", why=lambda ctx: f"{ctx.event.key}: only new comments count")

    def _screen(self, ctx: Context) -> str | None:
        if ctx.sender_is_bot():
            return "comment by a bot"
        if "pull_request" in (ctx.payload.get("issue") or {}):
            # On a pull request: feedback for a review round (bzzz.intake.reviews).
            return None if self._on_pull else "comment on a pull request: Bzzz takes issues only"
        comment = ctx.payload.get("comment")
        comment = comment if isinstance(comment, dict) else {}
        return "Bzzz's own comment" if is_ours(comment.get("body")) else None

    def created(self, ctx: Context) -> Outcome:
        if "pull_request" in (ctx.payload.get("issue") or {}) and self._on_pull is not None:
            return self._on_pull(ctx)
        comment = ctx.payload.get("comment")
        comment = comment if isinstance(comment, dict) else {}
        text = strip_hidden_html(str(comment.get("body") or ""))
        repo, number, sender = ctx.repo(), ctx.issue_number(), ctx.sender()
        key = task_key(repo, number)
        command = command_of(text)
        task = self._lifecycle.get(key)
        if command is None and (task is None or State(task.state) not in ACTIVE):
            return Outcome.ignored("no active task on this issue", key)
        if command is None and not text:
            return Outcome.ignored("nothing left once hidden HTML is removed", key)
        if command is not None and command not in COMMANDS:
            return Outcome.ignored(f"unknown command {command!r}; known: {', '.join(COMMANDS)}")
        try:
            role = role_of(ctx, repo, sender)
        except GitHubError as exc:
            return deferred(f"permission check of {sender}", exc)
        if not is_writer(role, sender, self._settings.allowed_for(repo)):
            return Outcome.ignored(f"{sender} has role {role!r}: comment not passed on", key)
        if command == "retry":
            return self._retry(ctx, key, task)
        if command == "stop":
            return cancel(self._lifecycle, key, f"/bzzz stop by {sender}", sender)
        if command == "status":
            return self._status(key, task)
        assert task is not None  # checked above: no command means an active task
        return self._human_input(ctx, key, task, text, comment)

    def _retry(self, ctx: Context, key: str, task: Task | None) -> Outcome:
        # `/bzzz retry` by a writer approves the issue's text as it is now (bzzz.intake.approval).
        issue = ctx.payload.get("issue") or {}
        approved = (payload_digest(issue), f"github:{ctx.sender()}")
        if task is None or State(task.state) in TERMINAL:
            # A redelivered `/bzzz retry` is as old as its comment: it cannot redo a task
            # that ended after it (the retry it asked for is that task).
            asked_at = ctx.happened_at("comment", "created_at")
            again, created = self._lifecycle.create(
                ctx.repo(), ctx.issue_number(), str(issue.get("title") or ""),
                approved=approved, event_at=asked_at, delivery=ctx.event.id,
            )  # fmt: skip
            if created:
                return Outcome.done("task created again", key, created=True)
            if State(again.state) in TERMINAL:
                return Outcome.ignored(f"task already {again.state}, after this retry", key)
            return Outcome.done("task already active", key)
        approve(self._settings, self._db, key, *approved)
        if task.state == State.ESCALATED.value:
            return self._resume(key, ctx.sender(), f"/bzzz retry by {ctx.sender()}")
        return Outcome.ignored(f"task is {task.state}: nothing to retry", key)

    def _status(self, key: str, task: Task | None) -> Outcome:
        # Status sync keeps the issue's one status comment current; the webhook
        # path posts nothing, it only answers with the state it read.
        if task is None:
            return Outcome.ignored("status: no task on this issue", key)
        return Outcome.ignored(
            f"status: task is {task.state} (attempt {int(task.attempt)}); "
            "the status comment on the issue shows the same",
            key,
        )

    def _human_input(
        self, ctx: Context, key: str, task: Task, text: str, raw: dict[str, Any]
    ) -> Outcome:
        self._threads.append(
            key,
            f"github:{ctx.sender()}",
            HUMAN_INPUT,
            {"text": text, "comment_id": raw.get("id"), "url": raw.get("html_url")},
        )
        if task.state == State.ESCALATED.value:
            return self._resume(
                key, ctx.sender(), f"{ctx.sender()} answered", "human input recorded; "
            )
        return Outcome.done("human input recorded", key)

    def _resume(self, key: str, login: str, reason: str, prefix: str = "") -> Outcome:
        try:
            self._lifecycle.resume(key, reason, Actor.human(login))
        except TransitionError as exc:
            return Outcome.done(f"{prefix}requeue refused: task is {exc.state}", key)
        return Outcome.done(f"{prefix}task requeued", key)
