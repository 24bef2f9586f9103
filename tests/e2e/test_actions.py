"""`bzzz action` as GitHub Actions runs it: a subprocess under the exact environment a job's
step gets, against the GitHub stand-in (also the OIDC issuer), STS and the tables on the local
backend, the container engine and the Ollama stand-in. No control plane, no AWS key, no App key.

The step's own variables come from action.yml (its `run` step's `env:` with the workflow's
`with:` inputs), so a variable the Action forgets to pass fails here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    MODEL,
    REPO,
    TEST_COMMAND,
    calc_seed,
    finish,
    remote_branches,
    run_command,
    scenario,
    wait_until,
    write_file,
)

ROOT = Path(__file__).resolve().parents[2]
KEY = f"{REPO}#1"
SEED = calc_seed(f"test: {json.dumps(TEST_COMMAND)}\n")
ROLE_ARN = "arn:aws:iam::123456789012:role/bzzz-actions-job"
FIX = [write_file("calc.py", FIXED_CALC), finish("range(1, n) is now range(1, n + 1).")]


def _step_env(inputs: dict[str, str]) -> dict[str, str]:
    """The `Work the task` step's env from action.yml, its `${{ inputs.x }}` filled in."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    defaults = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
    env = {}
    for variable, value in step["env"].items():
        expression = value.removeprefix("${{").removesuffix("}}").strip()
        if expression.startswith("inputs."):
            name = expression.removeprefix("inputs.")
            env[variable] = inputs.get(name, defaults[name])
    return env


def _labelled(github: Any, number: int = 1) -> dict[str, Any]:
    github.act("alice", REPO, number, "label", label="bzzz-task")
    github.emulator.webhooks.wait_idle()
    [delivery] = [d for d in github.emulator.webhooks.deliveries if d.action == "labeled"][-1:]
    return dict(delivery.payload)


class Job:
    """One Actions job: what the runner prepares (files, variables) and the step it runs."""

    def __init__(self, github: Any, aws_env: dict[str, str], folder: Path, event: Any,
                 extra: dict[str, str], event_name: str = "issues") -> None:  # fmt: skip
        spec = {"repo": REPO, "actor": "alice", "event_name": event_name}
        reply = httpx.post(f"{github.base_url}/_emulator/actions/jobs", json=spec)
        reply.raise_for_status()
        self.info = reply.json()
        folder.mkdir(parents=True)
        self.folder = folder
        (folder / "temp").mkdir()
        self.event_path = folder / "event.json"
        self.event_path.write_text(json.dumps(event))
        self.summary = folder / "step_summary.md"
        self.output = folder / "output"
        for file in (self.summary, self.output, folder / "env", folder / "path"):
            file.touch()
        # The runner's own environment holds nothing of GitHub, Bzzz or AWS keys.
        theirs = ("GITHUB_", "BZZZ_", "ACTIONS_", "RUNNER_", "AWS_")
        base = {k: v for k, v in os.environ.items() if not k.startswith(theirs)}
        tables = {k: v for k, v in aws_env.items() if k.startswith("BZZZ_")}
        endpoints = {k: v for k, v in aws_env.items()
                     if k.startswith("AWS_ENDPOINT_URL") or k == "AWS_DEFAULT_REGION"}  # fmt: skip
        actions = {
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(self.event_path), "GITHUB_REPOSITORY": REPO,
            "GITHUB_REPOSITORY_OWNER": "acme", "GITHUB_API_URL": github.base_url,
            "GITHUB_SERVER_URL": github.base_url,
            "GITHUB_GRAPHQL_URL": f"{github.base_url}/graphql",
            "GITHUB_RUN_ID": str(self.info["run_id"]), "GITHUB_RUN_NUMBER": "1",
            "GITHUB_RUN_ATTEMPT": str(self.info["run_attempt"]), "GITHUB_JOB": "bzzz",
            "GITHUB_WORKFLOW": "Bzzz", "GITHUB_ACTOR": "alice", "GITHUB_SHA": self.info["sha"],
            "GITHUB_REF": self.info["ref"], "GITHUB_WORKSPACE": str(folder / "workspace"),
            "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(self.output), "GITHUB_ENV": str(folder / "env"),
            "GITHUB_PATH": str(folder / "path"), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
            "RUNNER_NAME": "gpu-box", "RUNNER_TEMP": str(folder / "temp"),
            "RUNNER_TOOL_CACHE": str(folder / "toolcache"),
            "ACTIONS_ID_TOKEN_REQUEST_URL": self.info["id_token_request_url"],
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.info["id_token_request_token"],
        }  # fmt: skip
        inputs = {"role-to-assume": ROLE_ARN, "aws-region": "us-east-1", "model": MODEL,
                  "github-token": self.info["github_token"], "timeout-minutes": "30"}  # fmt: skip
        self.env = {**base, **tables, **endpoints, **actions, **_step_env(inputs), **extra,
                    "PYTHONUNBUFFERED": "1"}  # fmt: skip

    def start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "cli.main", "action"], cwd=ROOT, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip

    def outputs(self) -> dict[str, str]:
        lines, values = self.output.read_text().splitlines(), {}
        while lines:
            name, _, delimiter = lines.pop(0).partition("<<")
            value = []
            while (line := lines.pop(0)) != delimiter:
                value.append(line)
            values[name] = "\n".join(value)
        return values


@pytest.fixture
def job_extra(ollama_emulator, container_engine, sandbox_image) -> dict[str, str]:
    """What the self-hosted GPU runner's host provides: Ollama, the engine, the image."""
    return {
        "OLLAMA_HOST": ollama_emulator.base_url,
        "DOCKER_HOST": container_engine.env()["DOCKER_HOST"],
        "BZZZ_SANDBOX_IMAGE": sandbox_image,
        "BZZZ_HMMM_WAIT_SECONDS": "2",
        "BZZZ_PROGRESS_SECONDS": "1",
    }


def _finish(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str]:
    try:
        _, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, err


@pytest.mark.github_seed(SEED)
def test_a_label_runs_the_action_to_a_draft_pull_request(
    github, ollama_emulator, aws_env, aws_settings, job_extra, tmp_path
):
    from bzzz.tasks.lifecycle import Lifecycle

    ollama_emulator.set_scenario(scenario(FIX))
    job = Job(github, aws_env, tmp_path / "job", _labelled(github), job_extra)
    code, err = _finish(job.start())
    assert code == 0, err
    task = Lifecycle(aws_settings).get(KEY)
    assert task.state == "completed", task.reason
    [pull] = github.client("alice").rest.pulls.list("acme", "calc", state="all").json()
    assert pull["draft"] is True and pull["head"]["ref"] == task.branch == pull["head"]["ref"]
    assert pull["user"]["login"] == "github-actions[bot]"  # the job's own token opened it
    assert pull["html_url"] == task.pr_url
    assert task.approved_by == "github:alice"  # the intake's create: the labeller, checked
    summary = job.summary.read_text()
    assert "## Bzzz: task completed" in summary
    assert task.pr_url in summary and "assumed-role/bzzz-actions-job/" in summary
    assert "| 0 |" in summary  # the commands table: the agent's test run, exit 0
    assert job.outputs() == {"task": KEY, "result": "completed", "pr-url": task.pr_url}
    # The job's audit entries, signed with its own key, verify; the stream starts at its
    # claim: only the control plane may write `task.create` (docs/actions.md).
    from bzzz.audit import verify_stream
    from bzzz.audit.store import AuditStore

    report = verify_stream(aws_settings, KEY)
    assert report.ok, report
    entries, _ = AuditStore(aws_settings).read(KEY)
    assert entries[0].type == "task.claim" and "pr.opened" in [e.type for e in entries]


@pytest.mark.github_seed(SEED)
def test_two_jobs_for_one_issue_make_one_pull_request(
    github, ollama_emulator, aws_env, aws_settings, job_extra, tmp_path
):
    from bzzz.tasks.lifecycle import Lifecycle

    ollama_emulator.set_scenario(scenario(FIX))
    payload = _labelled(github)
    jobs = [Job(github, aws_env, tmp_path / f"job{i}", payload, job_extra) for i in (1, 2)]
    processes = [job.start() for job in jobs]
    results = [_finish(process) for process in processes]
    assert [code for code, _ in results] == [0, 0], results
    outputs = sorted(job.outputs()["result"] for job in jobs)
    assert outputs == ["completed", "not claimed"]
    loser = next(job for job in jobs if job.outputs()["result"] == "not claimed")
    assert "## Bzzz: not claimed: the task is " in loser.summary.read_text()
    pulls = github.client("alice").rest.pulls.list("acme", "calc", state="all").json()
    assert len(pulls) == 1
    assert Lifecycle(aws_settings).get(KEY).state == "completed"


@pytest.mark.github_seed(SEED)
def test_a_cancelled_job_pushes_its_partial_branch_and_releases_the_task(
    github, ollama_emulator, aws_env, aws_settings, job_extra, tmp_path, docker_client
):
    """Actions cancels with SIGINT (then SIGTERM, then SIGKILL): the partial work is pushed,
    the task is queued again for the next job or runner, the sandbox is gone."""
    from bzzz.tasks.lifecycle import Lifecycle

    slow = [run_command(f"echo step {i}", delay=1) for i in range(60)]
    ollama_emulator.set_scenario(scenario([write_file("calc.py", FIXED_CALC), *slow]))
    job = Job(github, aws_env, tmp_path / "job", _labelled(github), job_extra)
    process = job.start()
    lifecycle = Lifecycle(aws_settings)
    try:
        wait_until(lambda: (t := lifecycle.get(KEY)) and t.state == "running", "the task to run")
        wait_until(lambda: len(ollama_emulator.requests("/api/chat")) >= 3, "the agent at work")
        process.send_signal(signal.SIGINT)
        code, err = _finish(process, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    task = lifecycle.get(KEY)
    assert (task.state, task.lease_owner) == ("queued", None), err
    assert task.reason.startswith("the GitHub Actions job was cancelled (partial work on bzzz/")
    branch = task.reason.removeprefix("the GitHub Actions job was cancelled (partial work on ")
    assert branch.rstrip(")") in remote_branches(github.git_url(REPO))
    assert code == 1 and job.outputs()["result"] == "released"
    assert "## Bzzz: cancelled: the task was released" in job.summary.read_text()
    runner_label = f"bzzz.runner=actions-acme-calc-{job.env['GITHUB_RUN_ID']}-1"
    assert docker_client.containers.list(all=True, filters={"label": runner_label}) == []


@pytest.mark.github_seed(SEED)
def test_a_label_by_a_reader_creates_no_task(
    github, ollama_emulator, aws_env, aws_settings, job_extra, tmp_path
):
    from bzzz.tasks.lifecycle import Lifecycle

    ollama_emulator.set_scenario(scenario(FIX))
    github.act("mallory", REPO, 1, "label", label="bzzz-task")
    github.emulator.webhooks.wait_idle()
    payload = next(d.payload for d in github.emulator.webhooks.deliveries if d.action == "labeled")
    job = Job(github, aws_env, tmp_path / "job", payload, job_extra)
    code, err = _finish(job.start())
    assert code == 0, err
    assert Lifecycle(aws_settings).get(KEY) is None
    assert job.outputs()["result"] == "ignored"
    assert "mallory has role 'read', not write: no task" in job.summary.read_text()


@pytest.mark.github_seed(SEED)
def test_the_control_planes_dispatch_starts_the_job_that_works_the_task(
    github, ollama_emulator, aws_env, aws_settings, job_extra, tmp_path
):
    """Webhook mode with an installation set to Actions: the webhook created the task, status
    sync sends `repository_dispatch`, and the job it starts claims and works the task."""
    from bzzz.github import GitHubApi
    from bzzz.messages import Envelope, MessageType
    from bzzz.status.sync import StatusSync
    from bzzz.tasks.lifecycle import Lifecycle
    from bzzz.tasks.writes import snapshot

    ollama_emulator.set_scenario(scenario(FIX))
    lifecycle = Lifecycle(aws_settings)
    task, created = lifecycle.create(REPO, 1, "sum_to(n) leaves out n")
    assert created
    app = GitHubApi(github.base_url, token=github.installation_token(77, 4242))
    available = Envelope(type=MessageType.TASK_AVAILABLE, sender="control-plane", task=KEY,
                         data=snapshot(task))  # fmt: skip
    daemons_only = StatusSync(aws_settings, github=lambda repo: app)
    assert daemons_only.handle(available).dispatched is False
    settings = aws_settings.with_overrides(actions_dispatch=frozenset({"acme"}))
    again = Envelope(type=MessageType.TASK_AVAILABLE, sender="control-plane", task=KEY,
                     data=snapshot(task))  # fmt: skip
    assert StatusSync(settings, github=lambda repo: app).handle(again).dispatched is True
    github.emulator.webhooks.wait_idle()
    [sent] = [d for d in github.emulator.webhooks.deliveries if d.event == "repository_dispatch"]
    assert sent.payload["action"] == "bzzz-task"
    assert sent.payload["client_payload"] == {"task": KEY, "attempt": 1}
    job = Job(github, aws_env, tmp_path / "job", sent.payload, job_extra,
              event_name="repository_dispatch")  # fmt: skip
    code, err = _finish(job.start())
    assert code == 0, err
    assert lifecycle.get(KEY).state == "completed"
    assert job.outputs()["result"] == "completed"
