"""One claimed task from start to its last transition.

    TaskWorker(context, task).run()

Flow: mint a token for the repository, read the issue (writers' comments only,
hidden HTML stripped), clone on the host, read .bzzz.yml, start the sandbox
(-> running) from the image the setup steps prepared (runner.prepare: once per
dependency fingerprint, in a preparation container), run the agent, and
hand the outcome to `runner.worker.outcome`, which pushes, opens the pull
request and makes the last transition. All the while a LeaseKeeper heartbeats
the lease; once it is refused, or the runner shuts down past its grace
period, the sandbox is removed under the agent and the work is thrown away.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bzzz.audit import digest, output_tail
from bzzz.errors import ApprovalError, TransitionError
from runner.agent.baseline import Baseline, measure
from runner.agent.model import Model
from runner.agent.types import Outcome, TaskBrief
from runner.errors import (
    EngineUnavailableError,
    ImageNotFoundError,
    ModelUnavailableError,
    SandboxStartError,
)
from runner.git.tree import WorkspaceTooLargeError
from runner.git.workspace import Workspace, repository_info, workspace_name
from runner.prepare.errors import PrepareError
from runner.sandbox.config import DEPLOYMENT_LABEL
from runner.sandbox.container import Sandbox, SandboxConfig
from runner.worker.brief import discuss_plan, repo_config, task_brief
from runner.worker.context import WorkerContext
from runner.worker.decision import write_decision
from runner.worker.lease import LeaseKeeper, TaskStopped
from runner.worker.outcome import (
    DEFAULT_BRANCH_PREFIX,
    Checkout,
    Finisher,
    TaskEnd,
    fail_before_work,
)
from runner.worker.progress import ProgressReporter
from runner.worker.review_round import review_brief, round_of
from runner.worker.round_end import RoundFinisher
from runner.worker.trajectory import Trajectory
from runner.worker.verify import Verification, Verifier, unverified

if TYPE_CHECKING:
    from pathlib import Path

    from bzzz.github import GitHubApi
    from bzzz.store.models import Task
    from runner.repo_config import RepoConfig

log = logging.getLogger(__name__)

# Release reasons of infrastructure faults. The reason is shown on the public issue, so it
# never carries the error's text (host paths, engine output): that goes to the log.
SANDBOX_DID_NOT_START = "runner problem: the sandbox could not start; the task is queued again"
MODEL_DID_NOT_ANSWER = "runner problem: the model (Ollama) did not answer; the task is queued again"
ENGINE_DID_NOT_ANSWER = (
    "runner problem: the container engine did not answer; the task is queued again"
)
# A bug or an unforeseen fault: the exception's text may hold host paths, tokens in URLs or
# engine output, so the issue hears only this; the log and the trajectory keep the error.
UNEXPECTED_ERROR = "runner problem: an unexpected error stopped the task (see the runner's log)"


class TaskWorker:
    def __init__(self, context: WorkerContext, task: Task) -> None:
        self.ctx = context
        self.task = task
        self.key = str(task.key)
        self.agent_id = context.runner.runner_id
        self.stopped: str | None = None  # why the task must stop, once it must
        self.shutdown = False  # stopped by the runner (release), not by a lost lease
        self.sandbox_did_not_start = False  # released for it: the runner leaves it to others
        # Actions mode: a cancelled job pushes its partial work before it releases the task.
        self.push_on_shutdown = False
        self._finisher: Finisher | None = None
        self._sandbox: Sandbox | None = None
        self._lock = threading.Lock()
        self.baseline = Baseline(None)  # measured in the sandbox before the agent starts
        # Every sandbox of the task: judged by its lease if this runner dies (reap_abandoned).
        self._labels = ((DEPLOYMENT_LABEL, context.deployment),)
        self.trajectory = Trajectory(context.runner.state_dir, self.key, int(task.attempt))
        self.progress = ProgressReporter(
            context.publisher, self.agent_id, self.key,
            interval=context.runner.progress_seconds, display=context.display,
        )  # fmt: skip

    # ----- stopping, from other threads ---------------------------------------

    def stop(self, reason: str, *, shutdown: bool = False) -> None:
        """Stop the task at once: the agent's next step raises, its sandbox goes away."""
        with self._lock:
            if self.stopped:
                return
            self.stopped, self.shutdown = reason, shutdown
            sandbox = self._sandbox
        if sandbox is not None:
            try:
                sandbox.remove()
            except Exception as exc:
                log.warning("%s: removing the sandbox failed: %s", self.key, exc)

    def note(self, entry_type: str, data: dict[str, Any]) -> None:
        """Append to the task's audit stream (signed with this runner's key).

        A failed append is logged, not fatal: the trajectory keeps the same facts.
        """
        if self.ctx.audit is None:
            return
        try:
            self.ctx.audit.append(self.key, entry_type, data)
        except Exception as exc:
            log.error("%s: audit append of %s failed: %s", self.key, entry_type, exc)

    def _on_step(self, step: Any) -> None:
        self.trajectory.record("step", step=step)
        if step.exit_code is not None:
            self.note(
                "command.run",
                {
                    "command": step.action[:2000],
                    "exit_code": int(step.exit_code),
                    "output_sha256": digest(step.output_excerpt),
                    "output_tail": output_tail(step.output_excerpt),
                    "duration_ms": int(step.duration * 1000),
                    "timed_out": step.timed_out,
                    "iteration": int(step.iteration),
                },
            )
        if self.stopped:
            raise TaskStopped(self.stopped)
        self.progress.step(step)

    # ----- the task -----------------------------------------------------------

    def run(self) -> str:
        """Work the task; return what became of it (for logs and tests).

        Then its decision record (runner.worker.decision), once the last transition is
        made and the final diff kept: the record binds the audit stream as it ends.
        """
        ended = self._run()
        write_decision(
            self.ctx.settings, key=self.key, attempt=int(self.task.attempt),
            round_number=int(self.task.round or 0), runner=self.agent_id, result=ended,
            events=self.trajectory.events(), note=self.note,
            pr_url=str(self.task.pr_url) if self.task.round and self.task.pr_url else None,
        )  # fmt: skip
        return ended

    def _run(self) -> str:
        workspace: Workspace | None = None
        every = self.ctx.runner.heartbeat_every(self.ctx.settings.lease_seconds)
        keeper = LeaseKeeper(
            self.ctx.lifecycle, self.key, self.agent_id, every=every, on_lost=self.stop
        )
        finisher: Finisher | None = None
        try:
            with keeper:
                token = self.ctx.credentials.token_for(self.key)
                api = self.ctx.credentials.api(token)
                allowed = self.ctx.settings.allowed_for(str(self.task.repo))
                brief = task_brief(
                    api, self.key, str(self.task.repo), int(self.task.number),
                    allowed, self.task.approved_digest,
                )  # fmt: skip
                review = round_of(self.task)
                if review is not None:
                    brief = review_brief(api, brief, review, allowed)
                    self.note("review.round", {"round": review.number, "pr": review.pr_url,
                                               "answers": list(review.feedback)})  # fmt: skip
                self.progress.stage("planning")
                brief = discuss_plan(
                    self.ctx.participant, self.ctx.model, brief, int(self.task.attempt)
                )
                self.trajectory.record("task", brief=brief, runner=self.agent_id)
                clone_url, base = repository_info(self.ctx.settings.github_api_url, token)
                self.progress.stage("cloning")
                workspace = Workspace(
                    self.ctx.runner.state_dir, workspace_name(self.key), token,
                    quota_mb=self.ctx.runner.workspace_quota_mb,
                )  # fmt: skip
                if review is None:
                    workspace.clone(clone_url, base)
                else:  # the pull request's branch as it stands, others' commits included
                    workspace.clone_pull(clone_url, review.branch, base)
                config = repo_config(
                    self.ctx.runner, api, workspace.path, brief, self.trajectory.record
                )
                prefix = config.branch_prefix or DEFAULT_BRANCH_PREFIX
                checkout = Checkout(api, workspace, base, brief, prefix)
                finisher = (
                    Finisher(self.ending(), checkout)
                    if review is None
                    else RoundFinisher(self.ending(), checkout, review)
                )
                self._finisher = finisher
                prepared = self._prepare(api, workspace, brief, config)
                outcome = self._work(workspace, brief, prepared)
                if self.stopped:
                    keeper.stop()
                    return self.abandon()
                try:
                    workspace.seal()  # the sandbox is gone: nothing writes the tree any more
                except WorkspaceTooLargeError as exc:
                    keeper.stop()
                    return finisher.fail(str(exc), push=False)
                finished = outcome.kind == "finished"
                # The command the finish passed: less the known failures the change left.
                tested = outcome.test.command if outcome.test else prepared.test_command
                verification = self._verify(workspace, prepared, tested) if finished else None
                keeper.stop()  # the last transition ends the lease; no heartbeat may race it
                if self.stopped:
                    return self.abandon()
                ended = finisher.deliver(outcome, verification)
                if ended != "completed" and not config.setup:
                    self._suggest_setup(api, workspace, brief, outcome)
                return ended
        except ApprovalError as exc:
            keeper.stop()  # nothing was read, cloned or run: fail with the reason, push nothing
            self.trajectory.record("refused", reason=str(exc))
            return fail_before_work(self.ending(), str(exc))
        except ModelUnavailableError as exc:
            keeper.stop()
            self.ctx.unhealthy.set()  # before the release requeues it: do not claim it back
            return self._release(MODEL_DID_NOT_ANSWER, f"Ollama unavailable: {exc}")
        except EngineUnavailableError as exc:
            keeper.stop()
            self.ctx.unhealthy.set()
            return self._release(ENGINE_DID_NOT_ANSWER, f"container engine unavailable: {exc}")
        except (SandboxStartError, ImageNotFoundError) as exc:
            # Only Sandbox.start raises these: the runner's fault, not the task's. The
            # engine's words stay in the log; the issue is told only that this runner broke.
            keeper.stop()
            if self.stopped:  # stop() removed the sandbox it was starting
                return self.abandon()
            self.ctx.unhealthy.set()  # no claim until a probe sandbox starts (runner.process)
            self.sandbox_did_not_start = True
            return self._release(SANDBOX_DID_NOT_START, f"the sandbox could not start: {exc}")
        except PrepareError as exc:  # posted on the issue by _prepare
            keeper.stop()
            if self.stopped:
                return self.abandon()
            reason = str(exc)
            return (
                finisher.fail(reason, push=False)
                if finisher
                else fail_before_work(self.ending(), reason)
            )
        except Exception as exc:
            keeper.stop()
            if self.stopped:
                return self.abandon()
            log.exception("%s: the task failed", self.key)
            self.trajectory.record("error", error=repr(exc))
            reason = UNEXPECTED_ERROR
            return finisher.fail(reason) if finisher else fail_before_work(self.ending(), reason)
        finally:
            self.progress.finish(self.trajectory.path.name)
            self.trajectory.keep_diff(workspace)
            if workspace is not None:
                workspace.remove()

    def _sandbox_on(self, directory: Path, config: RepoConfig) -> Sandbox:
        """A sandbox over `directory` with the repository's image and limits; stop() removes it."""
        box = SandboxConfig(
            image=config.image or self.ctx.runner.sandbox_image, labels=self._labels
        )
        if config.command_timeout:
            box = replace(box, command_timeout=config.command_timeout)
        sandbox = Sandbox(
            self.ctx.docker, directory, runner_id=self.agent_id, task_key=self.key, config=box
        )
        with self._lock:
            if self.stopped:
                raise TaskStopped(self.stopped)
            self._sandbox = sandbox
        return sandbox

    def _verify(
        self, workspace: Workspace, config: RepoConfig, test_command: str | None
    ) -> Verification:
        """Does the change's regression test fail on the base and pass on it?"""
        self.progress.stage("verifying")
        scratch = self.ctx.runner.state_dir / "verify" / workspace.path.name
        verifier = Verifier(
            workspace, scratch, lambda directory: self._sandbox_on(directory, config), config.setup
        )
        try:
            verification = verifier.verify(test_command)
        except TaskStopped:
            raise
        except Exception as exc:  # the fix stays; only its proof is missing
            log.warning("%s: the verification could not run: %r", self.key, exc)
            verification = unverified(
                "Bzzz could not run the verification (a runner problem; details in its log)"
            )
        self.trajectory.record("verification", verification=verification, runs=verifier.runs)
        kind = "fix.verified" if verification.verified else "fix.unverified"
        self.note(kind, {"reason": verification.reason[:1000]})
        return verification

    def _work(self, workspace: Workspace, brief: TaskBrief, config: RepoConfig) -> Outcome:
        from runner.agent.loop import Agent

        sandbox = self._sandbox_on(workspace.path, config)
        with sandbox:
            self.ctx.lifecycle.start(self.key, self.agent_id)
            self.progress.stage("sandbox up")
            self.baseline = measure(sandbox.run, config.test_command)
            self.trajectory.record("baseline", baseline=self.baseline.to_json())
            if self.stopped:
                raise TaskStopped(self.stopped)
            agent = Agent(
                self._model(config), sandbox, brief, config.budgets,
                on_step=self._on_step, test_command=config.test_command,
                trajectory_path=self.trajectory.path.with_suffix(".agent.json"),
                baseline=self.baseline,
            )  # fmt: skip
            outcome = agent.run()
            self.trajectory.record("outcome", outcome=outcome)
            if outcome.detail:  # the error's own words: the operator's, not the issue's
                log.warning("%s: the agent stopped on an error: %s", self.key, outcome.detail)
            if self.stopped:
                raise TaskStopped(self.stopped)
            # A finished outcome's tests already ran green at the agent's finish (Outcome.test):
            # they are not run a second time.
            return outcome

    def _prepare(
        self, api: GitHubApi, workspace: Workspace, brief: TaskBrief, config: RepoConfig
    ) -> RepoConfig:
        """The config whose image is the prepared one (setup done, runner.prepare).

        A failing setup is told on the issue, with its command and output tail, and
        raised (PrepareError): the task fails with its reason.
        """
        from runner.prepare import PrepareError, SetupFailedError, prepare
        from runner.prepare.report import setup_failed_comment

        if config.setup:
            self.progress.stage("preparing")
        base = config.image or self.ctx.runner.sandbox_image
        try:
            image = prepare(
                self.ctx.docker, base, workspace.path, config,
                settings=self.ctx.runner.prepare, runner_id=self.agent_id, task_key=self.key,
                scratch=self.ctx.runner.state_dir / "prepare",
                box=SandboxConfig(image=base, labels=self._labels),
                record=self.trajectory.record, on_sandbox=self._hold,
            ).tag  # fmt: skip
        except PrepareError as exc:
            tail = exc.tail if isinstance(exc, SetupFailedError) else ""
            self.trajectory.record("setup_failed", reason=str(exc), tail=tail)
            if not self.stopped:
                api.comment(brief.repo, brief.number, setup_failed_comment(exc))
            raise
        return replace(config, image=image, setup=())

    def _hold(self, sandbox: Sandbox | None) -> None:
        """The container stop() removes: the preparation's while it runs (None after)."""
        with self._lock:
            if sandbox is not None and self.stopped:
                raise TaskStopped(self.stopped)
            self._sandbox = sandbox

    def _suggest_setup(
        self, api: GitHubApi, workspace: Workspace, brief: TaskBrief, outcome: Outcome
    ) -> None:
        """A repository without setup whose tests could not import: say how to add it."""
        from runner.prepare.report import setup_hint

        hint = setup_hint(workspace.path, outcome)
        if hint is None:
            return
        self.trajectory.record("setup_hint")
        try:
            api.comment(brief.repo, brief.number, hint)
        except Exception as exc:  # advice only: the task has ended already
            log.warning("%s: posting the setup hint failed: %s", self.key, exc)

    def _model(self, config: RepoConfig) -> Model:
        """The runner's model, unless .bzzz.yml asks for another model or context length."""
        if not config.model and not config.num_ctx:
            return self.ctx.model
        model = Model(
            config.model or self.ctx.model.name, host=self.ctx.model.host,
            num_ctx=config.num_ctx or self.ctx.model.requested_num_ctx,
            max_num_ctx=self.ctx.model.max_num_ctx, api=self.ctx.model.api,
            api_key=self.ctx.model.api_key, tools=self.ctx.model.tools_allowed,
        )  # fmt: skip
        model.check()  # ModelNotFoundError fails the task with a clear reason
        return model

    def ending(self) -> TaskEnd:
        """What the end of this task may use of the worker (runner.worker.outcome)."""
        return TaskEnd(
            key=self.key, number=int(self.task.number), attempt=int(self.task.attempt),
            agent_id=self.agent_id, lifecycle=self.ctx.lifecycle, publisher=self.ctx.publisher,
            record=self.trajectory.record, note=self.note, confirm_lease=self.confirm_lease,
            abandon=self.abandon,
        )  # fmt: skip

    def confirm_lease(self) -> None:
        """One more heartbeat before anything leaves the host; TaskStopped when it is gone."""
        try:
            self.ctx.lifecycle.heartbeat(self.key, self.agent_id)
        except TransitionError as exc:
            self.stop(f"lease lost before pushing: {exc.reason}")
            raise TaskStopped(self.stopped or "lease lost") from exc

    def abandon(self) -> str:
        if self.shutdown:
            if self.push_on_shutdown and self._finisher is not None:
                return self._finisher.release(self.stopped or "runner shutting down")
            return self._release(self.stopped or "runner shutting down")
        self.trajectory.record("abandoned", reason=self.stopped)
        log.warning("%s: work discarded, nothing pushed (%s)", self.key, self.stopped)
        return "abandoned"

    def _release(self, reason: str, detail: str = "") -> str:
        """Give the task back; `reason` is public, `detail` (the error) only logged and kept."""
        self.trajectory.record("released", reason=reason, detail=detail)
        log.warning(
            "%s: released, the task is requeued for another runner: %s", self.key, detail or reason
        )
        try:
            self.ctx.lifecycle.release(self.key, self.agent_id, reason[:500])
        except Exception as exc:
            log.warning("%s: release refused: %s", self.key, exc)
        return "released"
