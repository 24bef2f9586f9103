"""The end of a task: from the agent's outcome to a pushed branch, a pull request and a transition.

finished  -> commit, push, draft PR, Lifecycle.complete(pr_url, branch)
help      -> partial branch pushed if any diff, hmmm.help, Lifecycle.escalate
budget    -> partial branch pushed if any diff, Lifecycle.fail(reason, branch)
error     -> the same as budget
released  -> (a cancelled Actions job) partial branch pushed if any diff, Lifecycle.release

`Finisher` sees the worker only through `TaskEnd` (the task's identity, the
lifecycle, the bus, the trajectory, the audit stream, the lease check) and the
work only through `Checkout`; a task that failed before it had a checkout ends
through `fail_before_work`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bzzz.audit import diff_summary
from bzzz.errors import GitHubError
from bzzz.github.neutralise import neutralise
from bzzz.messages import Envelope, MessageType
from runner.git.publish import (
    UNVERIFIED_LABEL,
    branch_name,
    commit_message,
    is_verified_fix,
    publish_branch,
    pull_body,
    pull_title,
)
from runner.worker.lease import TaskStopped

if TYPE_CHECKING:
    from bzzz.github import GitHubApi
    from bzzz.tasks.lifecycle import Lifecycle, Publisher
    from runner.agent.types import Outcome, TaskBrief, TestRun
    from runner.git.workspace import Workspace
    from runner.worker.verify import Verification

log = logging.getLogger(__name__)

DEFAULT_BRANCH_PREFIX = "bzzz/"


@dataclass(frozen=True)
class TaskEnd:
    """What ending a task needs from the worker that ran it, and nothing more."""

    key: str
    number: int
    attempt: int
    agent_id: str
    lifecycle: Lifecycle
    publisher: Publisher
    record: Callable[..., None]  # the trajectory: record(event, **fields)
    note: Callable[[str, dict[str, Any]], None]  # the signed audit stream
    confirm_lease: Callable[[], None]  # one more heartbeat; raises TaskStopped once it is gone
    abandon: Callable[[], str]  # the lease is gone: discard the work (or release on shutdown)


@dataclass(frozen=True)
class Checkout:
    """Where the work is: the repository's API, the host clone, its base, and the issue."""

    api: GitHubApi
    workspace: Workspace | None  # None: nothing to push (e.g. a help request in a test)
    base: str
    brief: TaskBrief
    branch_prefix: str = DEFAULT_BRANCH_PREFIX


def fail_before_work(end: TaskEnd, reason: str) -> str:
    """Fail a task that never got a checkout (its issue was refused, or the runner broke)."""
    end.record("failed", reason=reason, branch=None)
    try:
        end.lifecycle.fail(end.key, end.agent_id, reason[:1000], None)
    except Exception as exc:
        log.warning("%s: recording the failure was refused: %s", end.key, exc)
    log.warning("%s: failed (%s)", end.key, reason)
    return "failed"


class Finisher:
    """The last transition of a task that has a checkout: push, PR, escalate or fail."""

    def __init__(self, end: TaskEnd, checkout: Checkout) -> None:
        self.end = end
        self.checkout = checkout

    def deliver(self, outcome: Outcome, verification: Verification | None = None) -> str:
        if outcome.kind == "finished":
            return self._complete(outcome, outcome.test, verification)
        if outcome.kind == "help":
            return self._escalate(outcome, outcome.reason or "ask_for_help")
        reason = outcome.reason or outcome.summary or outcome.kind
        if outcome.kind == "budget" and outcome.limit == "loop":
            # Going in circles is a reason to ask peers and humans, not to give up (HMMM).
            question = f"I am going in circles ({reason}). How should I approach this?"
            return self._escalate(replace(outcome, question=question), "loop")
        # No agent step ran (a setup command failed): the tree holds no work to keep.
        return self.fail(f"{outcome.kind}: {reason}", push=outcome.iterations > 0)

    def _branch(self) -> str:
        brief = self.checkout.brief
        return branch_name(self.checkout.branch_prefix, brief.number, brief.title)

    def _push(self, message: str) -> str | None:
        """Commit and push whatever the agent changed; the branch, or None with no diff."""
        workspace = self.checkout.workspace
        if workspace is None:
            return None
        branch = self._branch()
        self.end.confirm_lease()  # the keeper is stopped by now: ask once more
        if not publish_branch(workspace, branch, message):
            return None
        self.end.record("pushed", branch=branch)
        self.end.note("git.push", {"branch": branch, "remote": workspace.url})
        return branch

    def _complete(
        self, outcome: Outcome, test: TestRun | None, verification: Verification | None
    ) -> str:
        end, brief, api = self.end, self.checkout.brief, self.checkout.api
        branch = self._push(commit_message(brief.title, brief.number, outcome.summary))
        if branch is None:
            return self.fail("the agent finished without changing anything")
        verified = is_verified_fix(test, verification)
        body = pull_body(brief.number, outcome.summary, outcome.commands, test, verification)
        title = pull_title(brief.title, brief.number, verified)
        pull = api.open_draft_pull(brief.repo, branch, self.checkout.base, title, body)
        if not verified:
            api.add_labels(brief.repo, pull.number, [UNVERIFIED_LABEL])
        note = verification.summary if verification else "unverified: not checked"
        end.record("pull_request", url=pull.url, branch=branch, verification=note)
        opened = {"url": pull.url, "branch": branch, "draft": True, **self._diff_summary()}
        end.note("pr.opened", opened)
        seen = pull_updated_at(api, brief.repo, pull.number)
        end.lifecycle.complete(end.key, end.agent_id, pull.url, branch, note[:1000], seen)
        log.info("%s: completed, draft pull request %s (%s)", end.key, pull.url, note)
        return "completed"

    def _diff_summary(self) -> dict[str, Any]:
        """The pushed commit's diff stat against the base (bzzz.audit.diff_summary); empty
        when it cannot be read: the pull request is open, and the task completes without it."""
        workspace = self.checkout.workspace
        if workspace is None:
            return {}
        try:
            return diff_summary(workspace.diffstat("HEAD"))
        except Exception as exc:
            log.warning("%s: the diff summary could not be read: %s", self.end.key, exc)
            return {}

    def _escalate(self, outcome: Outcome, trigger: str) -> str:
        end = self.end
        question = (outcome.question or outcome.summary or "the agent asked for help").strip()
        branch = self._push(f"WIP: partial work on #{end.number} (asked for help)")
        data = {"round": end.attempt, "text": question[:20000], "trigger": trigger[:200]}
        end.publisher.publish(
            Envelope(type=MessageType.HMMM_HELP, sender=end.agent_id, task=end.key, data=data)
        )
        reason = f"asked for help: {question}" + (f" (partial work on {branch})" if branch else "")
        end.lifecycle.escalate(end.key, end.agent_id, reason[:1000])
        log.info("%s: escalated (%s)", end.key, trigger)
        return "escalated"

    def release(self, reason: str) -> str:
        """Give the task back with its partial work pushed (a cancelled Actions job)."""
        end, branch = self.end, None
        try:
            message = f"WIP: partial work on #{end.number} (released)\n\n{neutralise(reason)}"
            branch = self._push(message)
        except TaskStopped:  # the lease went first: nothing of ours to push or release
            end.record("abandoned", reason=reason)
            return "abandoned"
        except Exception as exc:  # the release must still happen
            log.warning("%s: pushing the partial branch failed: %s", end.key, exc)
        end.record("released", reason=reason, branch=branch)
        public = reason + (f" (partial work on {branch})" if branch else "")
        try:
            end.lifecycle.release(end.key, end.agent_id, public[:500])
        except Exception as exc:
            log.warning("%s: release refused: %s", end.key, exc)
        log.warning("%s: released (%s)", end.key, public)
        return "released"

    def fail(self, reason: str, *, push: bool = True) -> str:
        end, branch = self.end, None
        try:
            if push:
                branch = self._push(f"WIP: partial work on #{end.number}\n\n{neutralise(reason)}")
        except TaskStopped:
            return end.abandon()
        except Exception as exc:  # the failure must still be recorded
            log.warning("%s: pushing the partial branch failed: %s", end.key, exc)
        end.record("failed", reason=reason, branch=branch)
        try:
            end.lifecycle.fail(end.key, end.agent_id, reason[:1000], branch)
        except Exception as exc:
            log.warning("%s: recording the failure was refused: %s", end.key, exc)
        log.warning(
            "%s: failed (%s)%s", end.key, reason, f", partial branch {branch}" if branch else ""
        )
        return "failed"


def pull_updated_at(api: GitHubApi, repo: str, number: int) -> str | None:
    """The pull request's settled `updated_at` as Bzzz leaves it (opened and labelled, or
    a round answered), or None.

    Kept on the task, it spares the reconcile poll the reads of the pull request's
    reviews and comments unless someone reviewed or commented since
    (bzzz.review.catch_up). Only a settled one (GitHubApi.pull_settled) is kept, so
    feedback in the same second as the read is never taken for seen. A failure keeps
    none, and the poll reads everything once.
    """
    try:
        return api.pull_settled(repo, number)
    except GitHubError as exc:
        log.warning("%s#%d: the pull request was not read back: %s", repo, number, exc)
        return None
