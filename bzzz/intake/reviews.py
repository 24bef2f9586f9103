"""Pull request deliveries: writers' feedback on an agent's pull request, and its merge or close.

Triggers, from writers only (the issue's permission rules) and never from a
bot or Bzzz's own comments: a review that requests changes (or comments and
mentions `@bzzz`), every line comment of a review, and a conversation comment
that mentions `@bzzz` or starts with `/bzzz`. Hidden HTML is stripped before
anything is judged, so text a reader cannot see triggers nothing. Each
trigger only adds its id to the task's waiting feedback (bzzz.review.feedback);
the round starts once the burst is quiet (bzzz.review.rounds).

A merged or closed pull request takes no more feedback, and a round that is
queued or running for it is cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bzzz.config import Settings
from bzzz.errors import GitHubError
from bzzz.github import is_ours, is_writer, strip_hidden_html
from bzzz.intake.issues import cancel, deferred, role_of
from bzzz.review.feedback import Feedback
from bzzz.review.triggers import is_feedback
from bzzz.tasks.lifecycle import Lifecycle
from bzzz.tasks.states import ACTIVE, State
from bzzz.webhooks import Context, Outcome, Router


class ReviewEvents:
    def __init__(
        self,
        settings: Settings,
        lifecycle: Lifecycle,
        dynamodb: Any,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._lifecycle = lifecycle
        self._feedback = Feedback(settings, dynamodb)
        self._clock = clock

    def register(self, router: Router) -> None:
        router.on("pull_request_review.submitted")(self.review)
        router.on("pull_request_review_comment.created")(self.line_comment)
        router.on("pull_request.closed")(self.closed)
        router.ignore("pull_request_review", "pull_request_review_comment", "pull_request")

    def review(self, ctx: Context) -> Outcome:
        review = _section(ctx, "review")
        state = str(review.get("state") or "").lower()
        text = strip_hidden_html(str(review.get("body") or ""))
        if state == "approved":
            return Outcome.ignored("an approval asks for no change")
        if not is_feedback("review", text, state):
            # A plain comment review counts through its line comments, each its own delivery.
            why = "nothing left once hidden HTML is removed" if not text else "no change asked"
            return Outcome.ignored(f"a review without a change request or @bzzz: {why}")
        return self._feedback_from(ctx, review, f"review:{review.get('id')}")

    def line_comment(self, ctx: Context) -> Outcome:
        comment = _section(ctx, "comment")
        if not is_feedback("review_comment", strip_hidden_html(str(comment.get("body") or ""))):
            return Outcome.ignored("nothing left once hidden HTML is removed")
        return self._feedback_from(ctx, comment, f"review_comment:{comment.get('id')}")

    def conversation_comment(self, ctx: Context) -> Outcome:
        """`issue_comment.created` on a pull request (bzzz.intake.comments hands it over)."""
        comment = _section(ctx, "comment")
        text = strip_hidden_html(str(comment.get("body") or ""))
        if not is_feedback("comment", text):
            return Outcome.ignored("a comment on a pull request that does not ask @bzzz")
        return self._feedback_from(ctx, comment, f"comment:{comment.get('id')}")

    def _feedback_from(self, ctx: Context, item: dict[str, Any], ref: str) -> Outcome:
        if ctx.sender_is_bot() or is_ours(str(item.get("body") or "")):
            return Outcome.ignored("feedback by a bot or by Bzzz itself")
        if not isinstance(item.get("id"), int):
            return Outcome.ignored("feedback without an id")
        repo, sender = ctx.repo(), ctx.sender()
        task = self._feedback.task_of_pull(repo, _pull_url(ctx))
        if task is None:
            return Outcome.ignored("not a pull request of a Bzzz task")
        key = str(task.key)
        if task.pr_closed:
            return Outcome.ignored("the pull request is merged or closed", key)
        try:
            role = role_of(ctx, repo, sender)
        except GitHubError as exc:
            return deferred(f"permission check of {sender}", exc)
        if not is_writer(role, sender, self._settings.allowed_for(repo)):
            return Outcome.ignored(f"{sender} has role {role!r}: feedback not passed on", key)
        if not self._feedback.add(key, ref, round(self._clock(), 3)):
            return Outcome.ignored("the pull request is closed, or this was taken before", key)
        return Outcome.done(f"feedback {ref} by {sender} waits for the next review round", key)

    def closed(self, ctx: Context) -> Outcome:
        task = self._feedback.task_of_pull(ctx.repo(), _pull_url(ctx))
        if task is None:
            return Outcome.ignored("not a pull request of a Bzzz task")
        key, sender = str(task.key), ctx.sender()
        merged = bool(_section(ctx, "pull_request").get("merged"))
        how = "merged" if merged else "closed"
        self._feedback.close(key, round(self._clock(), 3))
        if State(task.state) in ACTIVE and int(task.round or 0) > 0:
            outcome = cancel(self._lifecycle, key, f"pull request {how} by {sender}", sender)
            return Outcome.done(f"pull request {how}: {outcome.reason}", key)
        return Outcome.done(f"pull request {how}: no more review rounds", key)


def _section(ctx: Context, name: str) -> dict[str, Any]:
    value = ctx.payload.get(name)
    return value if isinstance(value, dict) else {}


def _pull_url(ctx: Context) -> str:
    """The pull request's page: the `pr_url` a task keeps (from any of the three payloads)."""
    pull = _section(ctx, "pull_request")
    if pull.get("html_url"):
        return str(pull["html_url"])
    return str((_section(ctx, "issue").get("pull_request") or {}).get("html_url") or "")
