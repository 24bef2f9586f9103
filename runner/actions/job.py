"""One Actions job: take the event's task and work it, as one `bzzz runner` slot would.

    ActionJob(environment, process_env).run(event) -> exit code

Order: the settings, AWS credentials from OIDC (runner.actions.identity), the
runner's start checks with the job's token as the repository's credentials
(runner.config_checks: engine, sandbox, model, agents row, audit key), then for a
summons the intake's own `issues.labeled` path (bzzz.intake: the summon label, the
labeller's permission, the create rule's conditional put), then the claim
(the one conditional write: of two jobs for one issue exactly one wins; the other
ends here, exit 0), then TaskWorker - the daemon's worker, unchanged - in a thread.

SIGINT and SIGTERM (Actions cancels a job with SIGINT, then SIGTERM, then SIGKILL
some seconds later) stop the worker at once: its sandbox goes, its partial work is
pushed and the task released (TaskWorker.push_on_shutdown), so another runner or a
re-run resumes from the queue.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from bzzz.errors import BzzzError, TransitionError
from runner.actions.credentials import JobCredentials
from runner.actions.event import Dispatched, Summons
from runner.actions.identity import JobIdentity
from runner.actions.summary import JobReport

if TYPE_CHECKING:
    from types import FrameType

    from bzzz.config import Settings
    from runner.actions.environment import ActionsEnvironment
    from runner.config_checks import StartedParts
    from runner.worker.task_worker import TaskWorker

log = logging.getLogger(__name__)

CANCELLED = "the GitHub Actions job was cancelled"
# The share of the job's timeout the agent may spend; the rest is clone, setup, the
# verification and the push, which must happen before Actions kills the job.
AGENT_SHARE = 0.7
EXIT_CODES = {"completed": 0, "escalated": 0}  # anything else: the job fails (1)


class ActionJob:
    def __init__(
        self, environment: ActionsEnvironment, process_env: MutableMapping[str, str]
    ) -> None:
        self.action = environment
        self.env = process_env
        self.report = JobReport()
        self._worker: TaskWorker | None = None
        self._cancelled = threading.Event()

    def run(self, event: Summons | Dispatched) -> int:
        """Work the event's task; the exit code of the step (2: this runner cannot work)."""
        from bzzz.config import load_settings
        from runner.config import load_runner_settings
        from runner.errors import RunnerStartError

        self.report.key = event.key
        self._fit_environment()
        try:
            settings = load_settings(self.env)
            runner = load_runner_settings(self.env)
            identity = JobIdentity.assume(self.action, settings, self.env)
        except BzzzError as exc:
            return self._cannot_start(str(exc))
        self.report.assumed_role = identity.assumed_arn
        credentials = JobCredentials(settings.github_api_url, self.action.repository,
                                     self.action.token)  # fmt: skip
        try:
            from runner.config_checks import start_parts

            # HMMM starts once the claim is won: a job that loses it reviews no one's plan.
            parts = start_parts(
                self.env, settings=settings, runner=runner.with_overrides(hmmm=False),
                credentials=credentials,
            )  # fmt: skip
        except RunnerStartError as exc:
            identity.close()
            return self._cannot_start(str(exc))
        try:
            return self._take(parts, settings, credentials, event, hmmm=runner.hmmm)
        finally:
            if parts.context.participant is not None:
                parts.context.participant.stop()
            parts.registration.deregister()
            identity.close()

    # ----- steps ------------------------------------------------------------------

    def _fit_environment(self) -> None:
        """The job's own runner id and state dir; the agent's wall clock inside the timeout."""
        self.env["BZZZ_RUNNER_ID"] = self.action.runner_id
        self.env.setdefault("BZZZ_STATE_DIR", str(self.action.state_dir))
        self.env.setdefault("BZZZ_RUNNER_PROGRESS", "off")
        minutes = self.action.job_timeout_minutes
        if minutes is not None:
            fits = minutes * 60 * AGENT_SHARE
            current = float(self.env.get("BZZZ_MAX_WALL_CLOCK_SECONDS", "").strip() or 7200)
            self.env["BZZZ_MAX_WALL_CLOCK_SECONDS"] = f"{min(current, fits):.0f}"

    def _summon(
        self, parts: StartedParts, settings: Settings, credentials: JobCredentials, event: Summons
    ) -> str | None:
        """The intake's `issues.labeled` path; None when a task may be claimed, else why not."""
        from bzzz.intake.handling import Intake
        from bzzz.webhooks import WebhookEvent

        api = credentials.api(credentials.token_for(event.key))
        # The intake's own lifecycle, audited as the control plane's (when this host has the
        # control plane's signing key, which it should not): only the control plane may
        # write `task.create` to a task's audit stream, so a job's key must not. Without it
        # the stream starts at the job's claim (docs/actions.md).
        intake = Intake(settings, publisher=parts.bus, github_factory=lambda _installation: api)
        outcome = intake.handle(
            WebhookEvent(self.action.delivery_id, "issues", "labeled", event.payload)
        )
        log.info("%s: %s", event.key, outcome.reason)
        if outcome.status == 200:
            return None
        task = parts.context.lifecycle.get(event.key)
        if task is not None and outcome.final and str(task.state) == "queued":
            return None  # e.g. the webhook made it first and this delivery id was replayed
        return outcome.reason

    def _take(
        self,
        parts: StartedParts,
        settings: Settings,
        credentials: JobCredentials,
        event: Summons | Dispatched,
        *,
        hmmm: bool,
    ) -> int:
        from runner.worker.task_worker import TaskWorker

        lifecycle = parts.context.lifecycle
        if isinstance(event, Summons):
            try:
                refused = self._summon(parts, settings, credentials, event)
            except BzzzError as exc:  # the payload's shape, or GitHub failing the role check
                log.error("bzzz action: %s", exc)
                return self._finish("the summons could not be decided", "refused", 2,
                                    reason=str(exc))  # fmt: skip
            if refused is not None:
                return self._finish("no task", "ignored", 0, reason=refused)
        try:
            task = lifecycle.claim(event.key, self.action.runner_id)
        except TransitionError as lost:
            holder = f" by {lost.owner}" if lost.owner else ""
            return self._finish(
                f"not claimed: the task is {lost.state}{holder}", "not claimed", 0,
                reason=lost.reason,
            )  # fmt: skip
        log.info("%s: claimed by this job (attempt %s)", task.key, task.attempt)
        if hmmm:
            self._join_hmmm(parts, settings)
        worker = TaskWorker(parts.context, task)
        worker.push_on_shutdown = True
        self._worker = worker
        result = self._run_worker(worker)
        done = lifecycle.get(event.key)
        self.report.commands = _commands(worker)
        self.report.verification = _verification(worker)
        if done is not None:
            self.report.pr_url = done.pr_url or None
            self.report.branch = done.branch or None
            self.report.reason = done.reason or None
        if self._cancelled.is_set():
            headline = f"cancelled: the task was {result}"
        else:
            headline = f"task {result}"
        return self._finish(headline, result, EXIT_CODES.get(result, 1))

    def _join_hmmm(self, parts: StartedParts, settings: Settings) -> None:
        """The job's peer queue, as `bzzz runner` makes it at start (runner.config_checks)."""
        from runner.hmmm import start_participant

        context = parts.context
        try:
            context.participant = start_participant(
                settings, self.action.runner_id, parts.bus, context.model,
                wait_seconds=context.runner.hmmm_wait_seconds,
            )  # fmt: skip
        except Exception as exc:  # the plan goes unreviewed; the task itself can still be done
            log.warning(
                "%s: no HMMM peer queue, the plan is not reviewed: %s", self.report.key, exc
            )

    def _run_worker(self, worker: TaskWorker) -> str:
        """The worker in a thread; the main thread keeps the signals (Python runs them there)."""
        outcome: dict[str, str] = {}

        def work() -> None:
            try:
                outcome["result"] = worker.run()
            except BaseException:
                log.exception("%s: the worker crashed", worker.key)
                outcome["result"] = "crashed"

        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        thread = threading.Thread(target=work, name=f"task {worker.key}")
        try:
            thread.start()
            while thread.is_alive():
                thread.join(timeout=0.5)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        return outcome.get("result", "crashed")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._cancelled.is_set():
            return  # SIGTERM after SIGINT: the release is under way already
        self._cancelled.set()
        log.warning("%s: stopping: push the partial work, release the task", CANCELLED)
        if self._worker is not None:
            self._worker.stop(CANCELLED, shutdown=True)

    # ----- the end --------------------------------------------------------------

    def _cannot_start(self, message: str) -> int:
        log.error("bzzz action: %s", message)
        return self._finish("this runner cannot work", "not started", 2, reason=message)

    def _finish(self, headline: str, result: str, code: int, *, reason: str | None = None) -> int:
        from runner.actions.summary import write_report

        self.report.headline = headline
        self.report.result = result
        if reason is not None:
            self.report.reason = reason
        write_report(self.report, self.action.step_summary, self.action.output)
        return code


def _commands(worker: TaskWorker) -> list[dict[str, Any]]:
    for event in reversed(worker.trajectory.events()):
        if event.get("event") == "outcome":
            commands = (event.get("outcome") or {}).get("commands") or []
            return [c for c in commands if isinstance(c, dict)]
    return []


def _verification(worker: TaskWorker) -> str | None:
    for event in reversed(worker.trajectory.events()):
        if event.get("event") == "pull_request":
            return str(event.get("verification") or "") or None
    return None
