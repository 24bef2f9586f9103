"""The stand-in for the sandbox, the model and git, for bench/scale.py: the one place where a
stand-in for our own code is right, because what is measured is the coordination around it.

`StandInWork` replaces `runner.worker.task_worker.TaskWorker` through the runner's seam
(`RunnerProcess(parts, work=...)`). What stays real, called exactly as TaskWorker calls it:
the lease keeper (heartbeats; a refused one stops the work), the token and the issue read
(`task_brief`: the issue and its comments from GitHub), the `running` transition, progress
messages (`ProgressReporter`, rate-limited as in production), the lease check before
anything leaves the host, the draft pull request through `GitHubApi`, the audit notes, and
the last transition (complete / fail / release). With a model endpoint (bench/scale
--model-url, the Ollama stand-in) the agent's first model call is real too, through the
runner's Model client: a model host that goes away makes the task released, as TaskWorker
does. What is replaced: clone, .bzzz.yml, preparation, the sandbox, the agent's loop, the
verification, and the push - by
`delay` seconds of `steps` fake commands, and a branch created through GitHub's refs API
(what a push does to the repository as GitHub shows it). The outcome is fixed per task
and attempt: a `fail_fraction` of them fail, the rest open a pull request and complete.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from types import SimpleNamespace
from typing import Any, ClassVar

import httpx

from bzzz.errors import TransitionError
from runner.errors import ModelUnavailableError
from runner.git.publish import UNVERIFIED_LABEL, branch_name
from runner.git.workspace import repository_info
from runner.worker.brief import task_brief
from runner.worker.context import WorkerContext
from runner.worker.lease import LeaseKeeper
from runner.worker.outcome import pull_updated_at
from runner.worker.progress import ProgressReporter
from runner.worker.task_worker import MODEL_DID_NOT_ANSWER, UNEXPECTED_ERROR

log = logging.getLogger(__name__)

FAILED_REASON = "stand-in outcome: the agent gave up (budget)"


class StandInWork:
    delay = 2.0
    steps = 4
    fail_fraction = 0.1

    def __init__(self, context: WorkerContext, task: Any) -> None:
        self.ctx = context
        self.task = task
        self.key = str(task.key)
        self.agent_id = context.runner.runner_id
        self.sandbox_did_not_start = False
        self.stopped: str | None = None
        self.shutdown = False
        self._stop = threading.Event()
        self.progress = ProgressReporter(
            context.publisher, self.agent_id, self.key,
            interval=context.runner.progress_seconds, display=context.display,
        )  # fmt: skip

    def stop(self, reason: str, *, shutdown: bool = False) -> None:
        if self.stopped:
            return
        self.stopped, self.shutdown = reason, shutdown
        self._stop.set()

    def _fails(self) -> bool:
        seed = f"{self.key}#{int(self.task.attempt)}".encode()
        return int(hashlib.sha256(seed).hexdigest()[:8], 16) / 0xFFFFFFFF < self.fail_fraction

    def run(self) -> str:
        ctx, key, agent = self.ctx, self.key, self.agent_id
        every = ctx.runner.heartbeat_every(ctx.settings.lease_seconds)
        keeper = LeaseKeeper(ctx.lifecycle, key, agent, every=every, on_lost=self.stop)
        repo, number = str(self.task.repo), int(self.task.number)
        try:
            with keeper:
                token = ctx.credentials.token_for(key)
                api = ctx.credentials.api(token)
                brief = task_brief(
                    api, key, repo, number, ctx.settings.allowed_for(repo),
                    self.task.approved_digest,
                )  # fmt: skip
                _, base = repository_info(ctx.settings.github_api_url, token)
                ctx.lifecycle.start(key, agent)  # the sandbox would be up here
                if hasattr(ctx.model, "chat"):  # --model-url: the agent's first model call
                    try:
                        ctx.model.chat([{"role": "user", "content": brief.title}])
                    except ModelUnavailableError as exc:  # as TaskWorker: give it back
                        keeper.stop()
                        ctx.unhealthy.set()  # no claim until the model answers again
                        log.warning("%s: released, the model did not answer: %s", key, exc)
                        ctx.lifecycle.release(key, agent, MODEL_DID_NOT_ANSWER)
                        return "released"
                started = time.monotonic()
                for step in range(1, self.steps + 1):
                    if self._stop.wait(self.delay / self.steps):
                        break
                    self.progress.step(SimpleNamespace(
                        iteration=step, action=f"stand-in step {step}", exit_code=0,
                        elapsed=time.monotonic() - started,
                    ))  # fmt: skip
                keeper.stop()
                if self.stopped:
                    return self._abandon()
                if self._fails():
                    ctx.lifecycle.fail(key, agent, FAILED_REASON, None)
                    return "failed"
                ctx.lifecycle.heartbeat(key, agent)  # as confirm_lease: before anything leaves
                branch = branch_name("bzzz/", number, brief.title)
                self._push(repo, base, branch, token.value)
                title = f"Fix #{number}: {brief.title}"[:200]
                pull = api.open_draft_pull(repo, branch, base, title, f"Closes #{number}")
                api.add_labels(repo, pull.number, [UNVERIFIED_LABEL])
                if ctx.audit is not None:
                    ctx.audit.append(key, "pr.opened", {"url": pull.url, "branch": branch})
                seen = pull_updated_at(api, repo, pull.number)  # as Finisher._complete
                ctx.lifecycle.complete(key, agent, pull.url, branch, "unverified: stand-in", seen)
                return "completed"
        except TransitionError as exc:  # the lease went while finishing: nothing more to do
            log.warning("%s: %s", key, exc)
            return "abandoned"
        except Exception as exc:
            keeper.stop()
            if self.stopped:
                return self._abandon()
            log.warning("%s: the task failed: %r", key, exc)
            try:
                ctx.lifecycle.fail(key, agent, UNEXPECTED_ERROR, None)
            except Exception as again:
                log.warning("%s: recording the failure was refused: %s", key, again)
            return "failed"

    _base_sha: ClassVar[dict[str, str]] = {}  # per process: a repository's base commit

    def _push(self, repo: str, base: str, branch: str, token: str) -> None:
        """What `git push` does to GitHub's view of the repository: the branch exists."""
        url = self.ctx.settings.github_api_url.rstrip("/")
        headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
        sha = self._base_sha.get(repo)
        if sha is None:
            reply = httpx.get(
                f"{url}/repos/{repo}/git/ref/heads/{base}", headers=headers, timeout=30
            )
            reply.raise_for_status()
            sha = self._base_sha[repo] = str(reply.json()["object"]["sha"])
        reply = httpx.post(
            f"{url}/repos/{repo}/git/refs", headers=headers,
            json={"ref": f"refs/heads/{branch}", "sha": sha}, timeout=30,
        )  # fmt: skip
        if reply.status_code not in (201, 422):  # 422: there already (a force-push over it)
            reply.raise_for_status()

    def _abandon(self) -> str:
        if self.shutdown:
            try:
                self.ctx.lifecycle.release(self.key, self.agent_id, self.stopped or "shutdown")
            except Exception as exc:
                log.warning("%s: release refused: %s", self.key, exc)
            return "released"
        return "abandoned"
