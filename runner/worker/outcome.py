"""The end of a task: from the agent's outcome to a pushed branch, a pull request and a transition.

finished  -> commit, push, draft PR, Lifecycle.complete(pr_url, branch)
help      -> partial branch pushed if any diff, hmmm.help, Lifecycle.escalate
budget    -> partial branch pushed if any diff, Lifecycle.fail(reason, branch)
error     -> the same as budget
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bzzz.github.neutralise import neutralise
from bzzz.messages import Envelope, MessageType
from runner.git.publish import branch_name, commit_message, publish_branch, pull_body
from runner.worker.lease import TaskStopped

if TYPE_CHECKING:
    from bzzz.github import GitHubApi
    from runner.agent.types import Outcome, TaskBrief, TestRun
    from runner.git.workspace import Workspace
    from runner.repo_config import RepoConfig
    from runner.worker.task_worker import TaskWorker

log = logging.getLogger(__name__)

DEFAULT_BRANCH_PREFIX = "bzzz/"


class Delivery:
    def __init__(
        self,
        worker: TaskWorker,
        api: GitHubApi | None,
        workspace: Workspace | None,
        base: str,
        brief: TaskBrief | None,
    ) -> None:
        self.worker = worker
        self.api = api
        self.workspace = workspace
        self.base = base
        self.brief = brief
        self.prefix = DEFAULT_BRANCH_PREFIX

    @property
    def _key(self) -> str:
        return self.worker.key

    def read_repo_config(self) -> RepoConfig:
        """The repository's .bzzz.yml; a malformed one is named on the issue, defaults used."""
        from runner.repo_config import load_repo_config

        assert self.workspace is not None and self.api is not None and self.brief is not None
        runner = self.worker.ctx.runner
        # The runner's own image is always allowed, whatever else the operator listed.
        images = (runner.sandbox_image, *runner.repo_limits.images)
        limits = replace(runner.repo_limits, images=images)
        config = load_repo_config(self.workspace.path, limits=limits)
        self.prefix = config.branch_prefix or DEFAULT_BRANCH_PREFIX
        if config.problems:
            self.worker.trajectory.record("repo_config", problems=config.problems)
            listed = "\n".join(f"- {problem}" for problem in config.problems)
            self.api.comment(
                self.brief.repo,
                self.brief.number,
                f"Bzzz could not use part of `.bzzz.yml`; defaults are used instead:\n\n{listed}",
            )
        return config

    def deliver(self, outcome: Outcome) -> str:
        if outcome.kind == "finished":
            return self._complete(outcome, outcome.test)
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
        assert self.brief is not None
        return branch_name(self.prefix, self.brief.number, self.brief.title)

    def _push(self, message: str) -> str | None:
        """Commit and push whatever the agent changed; the branch, or None with no diff."""
        if self.workspace is None or self.brief is None:
            return None
        branch = self._branch()
        self.worker.confirm_lease()  # the keeper is stopped by now: ask once more
        if not publish_branch(self.workspace, branch, message):
            return None
        self.worker.trajectory.record("pushed", branch=branch)
        self.worker.note("git.push", {"branch": branch, "remote": self.workspace.url})
        return branch

    def _complete(self, outcome: Outcome, test: TestRun | None) -> str:
        assert self.api is not None and self.brief is not None
        brief = self.brief
        branch = self._push(commit_message(brief.title, brief.number, outcome.summary))
        if branch is None:
            return self.fail("the agent finished without changing anything")
        body = pull_body(brief.number, outcome.summary, outcome.commands, test)
        url = self.api.open_draft_pull(
            brief.repo, branch, self.base, commit_message(brief.title, brief.number), body
        )
        self.worker.trajectory.record("pull_request", url=url, branch=branch)
        self.worker.note("pr.opened", {"url": url, "branch": branch, "draft": True})
        self.worker.ctx.lifecycle.complete(self._key, self.worker.agent_id, url, branch)
        log.info("%s: completed, draft pull request %s", self._key, url)
        return "completed"

    def _escalate(self, outcome: Outcome, trigger: str) -> str:
        question = (outcome.question or outcome.summary or "the agent asked for help").strip()
        branch = self._push(f"WIP: partial work on #{self.worker.task.number} (asked for help)")
        data = {
            "round": int(self.worker.task.attempt),
            "text": question[:20000],
            "trigger": trigger[:200],
        }
        self.worker.ctx.publisher.publish(
            Envelope(
                type=MessageType.HMMM_HELP, sender=self.worker.agent_id, task=self._key, data=data
            )
        )
        reason = f"asked for help: {question}" + (f" (partial work on {branch})" if branch else "")
        self.worker.ctx.lifecycle.escalate(self._key, self.worker.agent_id, reason[:1000])
        log.info("%s: escalated (%s)", self._key, trigger)
        return "escalated"

    def fail(self, reason: str, *, push: bool = True) -> str:
        branch = None
        try:
            if push:
                number = self.worker.task.number
                branch = self._push(f"WIP: partial work on #{number}\n\n{neutralise(reason)}")
        except TaskStopped:
            return self.worker.abandon()
        except Exception as exc:  # the failure must still be recorded
            log.warning("%s: pushing the partial branch failed: %s", self._key, exc)
        self.worker.trajectory.record("failed", reason=reason, branch=branch)
        try:
            self.worker.ctx.lifecycle.fail(self._key, self.worker.agent_id, reason[:1000], branch)
        except Exception as exc:
            log.warning("%s: recording the failure was refused: %s", self._key, exc)
        log.warning(
            "%s: failed (%s)%s", self._key, reason, f", partial branch {branch}" if branch else ""
        )
        return "failed"
