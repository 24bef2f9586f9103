"""The end of a review round: new commits on the pull request's branch, and a reply on it.

`RoundFinisher` is the `Finisher` of a round (runner.worker.outcome) with
three differences. It opens no pull request: it commits on the branch it
checked out and pushes fast-forward only (Workspace.push_fast_forward), so
commits a person pushed before the round began stay, and a push made while it
ran stops it from pushing there at all. It answers on the pull request with
one summary comment. And whatever does not complete (a failure, a help
request, the branch moving under it) leaves the reviewed branch as it was:
partial work goes to a side branch, `<branch>-round<N>-partial`, and the
reply says so. The task keeps the pull request's branch as its `branch`, so
the next round finds it again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bzzz.github.neutralise import neutralise
from runner.git.publish import commit_message
from runner.git.workspace import BranchMovedError
from runner.worker.lease import TaskStopped
from runner.worker.outcome import Checkout, Finisher, TaskEnd, pull_updated_at
from runner.worker.review_round import ReviewRound, failed_body, public_reason, reply_body

if TYPE_CHECKING:
    from runner.agent.types import Outcome, TestRun
    from runner.worker.verify import Verification

log = logging.getLogger(__name__)


class RoundFinisher(Finisher):
    def __init__(self, end: TaskEnd, checkout: Checkout, review: ReviewRound) -> None:
        super().__init__(end, checkout)
        self.review = review

    def _branch(self) -> str:
        # Anything pushed by the generic paths (a help request's partial work) goes aside.
        return self.review.side_branch

    def _complete(
        self, outcome: Outcome, test: TestRun | None, verification: Verification | None
    ) -> str:
        end, brief, api = self.end, self.checkout.brief, self.checkout.api
        workspace, review = self.checkout.workspace, self.review
        if workspace is None:
            return self.fail("the round has no checkout to push")
        self.end.confirm_lease()  # the keeper is stopped by now: ask once more
        subject = f"Review round {review.number}: {brief.title}"
        if workspace.commit(commit_message(subject, brief.number, outcome.summary)) is None:
            return self.fail("the agent finished the round without changing anything")
        try:
            workspace.push_fast_forward(review.branch)
        except BranchMovedError as exc:
            return self.fail(str(exc))
        commit = workspace.git("rev-parse", "HEAD").strip()
        end.record("pushed", branch=review.branch, commit=commit, round=review.number)
        # With the pull request's diff stat as this push leaves it (against where the branch
        # left the default one): the dashboard shows the latest beside the link.
        end.note("git.push", {"branch": review.branch, "remote": workspace.url, "commit": commit,
                              "round": review.number, **self._diff_summary()})  # fmt: skip
        note = verification.summary if verification else "unverified: not checked"
        try:
            api.comment(
                brief.repo,
                review.pr_number,
                reply_body(review, outcome.summary, commit, test, note),
            )
            end.note(
                "pr.replied",
                {"url": review.pr_url, "round": review.number, "answers": list(review.feedback)},
            )
        except Exception as exc:  # the commits are on the branch: the round is done all the same
            log.warning("%s: the round's reply could not be posted: %s", end.key, exc)
        seen = pull_updated_at(api, brief.repo, review.pr_number)
        end.lifecycle.complete(
            end.key, end.agent_id, review.pr_url, review.branch, note[:1000], seen
        )
        log.info("%s: review round %s pushed %s", end.key, review.number, commit[:12])
        return "completed"

    def fail(self, reason: str, *, push: bool = True) -> str:
        end, review, side = self.end, self.review, None
        workspace = self.checkout.workspace
        try:
            if push and workspace is not None:
                side = self._push_aside(reason)
        except TaskStopped:
            return end.abandon()
        except Exception as exc:  # the failure must still be recorded
            log.warning("%s: pushing the round's partial work failed: %s", end.key, exc)
        end.record("failed", reason=reason, branch=side, round=review.number)
        try:
            self.checkout.api.comment(self.checkout.brief.repo, review.pr_number,
                                      failed_body(review, reason, side))  # fmt: skip
        except Exception as exc:
            log.warning("%s: the round's failure could not be told: %s", end.key, exc)
        # The task's reason is shown in the status comment: no exception's text there.
        told = f"review round {review.number} failed: {public_reason(reason)}"
        told += f" (partial work on {side})" if side else ""
        try:
            end.lifecycle.fail(end.key, end.agent_id, told[:1000], review.branch)
        except Exception as exc:
            log.warning("%s: recording the failure was refused: %s", end.key, exc)
        return "failed"

    def _push_aside(self, reason: str) -> str | None:
        """Commit what is left and push HEAD to the side branch, if it has anything new."""
        workspace = self.checkout.workspace
        assert workspace is not None
        self.end.confirm_lease()
        workspace.commit(f"WIP: partial work of review round {self.review.number}\n\n"
                         f"{neutralise(reason)}")  # fmt: skip
        if workspace.git("rev-parse", "HEAD").strip() == workspace.head_at_clone:
            return None
        side = self.review.side_branch
        workspace.push(side)
        self.end.note("git.push", {"branch": side, "remote": workspace.url,
                                   "round": self.review.number, "partial": True})  # fmt: skip
        return side
