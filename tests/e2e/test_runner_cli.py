"""`bzzz runner` as an operator runs it: a subprocess, its exit code, its one line, its signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    REPO,
    TEST_COMMAND,
    calc_seed,
    finish,
    remote_branches,
    run_command,
    scenario,
    wait_for_end,
    wait_until,
    write_file,
)

ROOT = Path(__file__).resolve().parents[2]
KEY = f"{REPO}#1"
SEED = calc_seed(f"test: {json.dumps(TEST_COMMAND)}\n")


def _environment(env: dict[str, str]) -> dict[str, str]:
    # The session's dummy AWS credentials and PATH come from os.environ; nothing of GitHub.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "BZZZ_"))}
    return {**base, **env, "PYTHONUNBUFFERED": "1"}


def _runner(env: dict[str, str], **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "runner"],
        cwd=ROOT, env=_environment(env), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"OLLAMA_HOST": "http://127.0.0.1:9"}, "no Ollama at http://127.0.0.1:9: "),
        ({"BZZZ_MODEL": "missing:1b"}, "unknown model 'missing:1b' on Ollama at "),
        (
            {"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
            "no container engine at unix:///nonexistent/docker.sock",
        ),
        (
            {"BZZZ_CONTROL_PLANE_URL": None},
            "GitHub credentials: BZZZ_CONTROL_PLANE_URL: missing credentials",
        ),
        (
            {"GITHUB_APP_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----"},
            "GITHUB_APP_PRIVATE_KEY is set on the runner host: the GitHub App key belongs to "
            "the control plane only",
        ),
        ({"BZZZ_MODEL": None}, "configuration: BZZZ_MODEL: missing"),
        ({"BZZZ_WORK_QUEUE_URL": None}, "configuration: BZZZ_WORK_QUEUE_URL: missing"),
        ({"BZZZ_AGENTS_TABLE": "no-such"}, "cannot register in the agents table no-such: "),
    ],
    ids=[
        "no-ollama",
        "unknown-model",
        "no-engine",
        "no-credentials",
        "app-key-on-the-host",
        "no-model",
        "no-queue",
        "no-agents-table",
    ],
)
def test_a_configuration_error_stops_the_runner_with_one_clear_line(
    ollama_emulator, runner_env, change, message
):
    ollama_emulator.set_scenario(scenario([finish("nothing to do")]))
    env = {**runner_env, **{k: v for k, v in change.items() if v is not None}}
    for variable in [k for k, v in change.items() if v is None]:
        env.pop(variable)
    process = _runner(env)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"bzzz runner: {message}"), lines[0]


@pytest.mark.github_seed(SEED)
def test_sigterm_releases_the_lease_of_a_task_that_does_not_finish_in_the_grace_period(
    github, ollama_emulator, runner_env, create_task, aws_settings, docker_client
):
    from bzzz.store.models import Agent
    from bzzz.tasks.lifecycle import Lifecycle

    slow = [run_command(f"echo step {i}", delay=1) for i in range(30)]
    ollama_emulator.set_scenario(scenario([write_file("calc.py", FIXED_CALC), *slow]))
    process = _runner({**runner_env, "BZZZ_RUNNER_GRACE_SECONDS": "1"})
    try:
        create_task()
        lifecycle = Lifecycle(aws_settings)
        wait_until(lambda: lifecycle.get(KEY).state == "running", "the task to run")
        wait_until(lambda: len(ollama_emulator.requests("/api/chat")) >= 2, "the agent at work")
        assert Agent.get(runner_env["BZZZ_RUNNER_ID"]).current_tasks == [KEY]
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=90)
    finally:
        process.kill()
    assert process.returncode == 0, err
    task = lifecycle.get(KEY)
    assert (task.state, task.lease_owner, task.reason) == ("queued", None, "runner shutting down")
    assert "released, the task is requeued for another runner: runner shutting down" in err
    assert list(remote_branches(github.git_url(REPO))) == ["main"]
    with pytest.raises(Agent.DoesNotExist):
        Agent.get(runner_env["BZZZ_RUNNER_ID"])
    label = f"bzzz.runner={runner_env['BZZZ_RUNNER_ID']}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []


@pytest.mark.github_seed(SEED)
def test_sigterm_lets_a_task_finish_within_the_grace_period(
    github, ollama_emulator, runner_env, create_task, aws_settings
):
    from bzzz.tasks.lifecycle import Lifecycle

    ollama_emulator.set_scenario(
        scenario(
            [
                run_command("echo looking", delay=2),
                write_file("calc.py", FIXED_CALC, delay=2),
                finish("range(1, n) is now range(1, n + 1)."),
            ]
        )
    )
    process = _runner({**runner_env, "BZZZ_RUNNER_GRACE_SECONDS": "60"})
    try:
        create_task()
        lifecycle = Lifecycle(aws_settings)
        wait_until(lambda: lifecycle.get(KEY).state == "running", "the task to run")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=90)
    finally:
        process.kill()
    assert process.returncode == 0, err
    task = lifecycle.get(KEY)
    assert task.state == "completed", task.reason
    assert task.branch in remote_branches(github.git_url(REPO))


def test_an_engine_that_cannot_start_a_container_stops_the_runner_at_start(
    ollama_emulator, runner_env, engine_that_cannot_start_containers, docker_client
):
    ollama_emulator.set_scenario(scenario([finish("nothing to do")]))
    env = {**runner_env, "DOCKER_HOST": engine_that_cannot_start_containers}
    process = _runner(env)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    line = lines[0]
    assert line.startswith(
        f"bzzz runner: the container engine at {engine_that_cannot_start_containers} cannot "
        f"start a sandbox from {runner_env['BZZZ_SANDBOX_IMAGE']} ("
    ), line
    assert "error setting rlimit type 7: operation not permitted" in line
    assert "CONTAINERS_CONF=infra/container_engine/containers.conf podman system service" in line
    assert "docs/runner.md" in line
    # The probe sandbox is gone (the failing service shares the good one's storage).
    label = f"bzzz.runner={runner_env['BZZZ_RUNNER_ID']}"
    assert docker_client.containers.list(all=True, filters={"label": label}) == []


@pytest.mark.github_seed(SEED)
def test_a_runner_killed_mid_task_loses_nothing_and_its_sandbox_is_reaped_by_the_next(
    github, ollama_emulator, runner_env, start_runner, create_task, aws_settings, docker_client
):
    """SIGKILL: no release, no deregistration, the sandbox left running under an id that
    no runner will have again. The lease expires, the control plane requeues the task, and
    the runner that takes attempt 2 removes the dead one's sandbox and finishes the task."""
    import uuid

    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Lifecycle
    from runner.sandbox.config import TASK_LABEL

    ollama_emulator.set_scenario(scenario([
        run_command("sleep 300"),  # where the first runner is when it dies
        write_file("calc.py", FIXED_CALC),
        finish("range(1, n) is now range(1, n + 1)."),
    ]))  # fmt: skip
    dead_id = runner_env["BZZZ_RUNNER_ID"]
    short = {**runner_env, "BZZZ_LEASE_SECONDS": "6"}
    first = _runner(short, start_new_session=True)
    lifecycle = Lifecycle(aws_settings, publisher=Bus(aws_settings))
    ours = {"label": [f"{TASK_LABEL}={KEY}", f"bzzz.runner={dead_id}"]}
    try:
        create_task()
        wait_until(lambda: len(ollama_emulator.requests("/api/chat")) >= 2, "the agent at work")
        [left] = wait_until(
            lambda: docker_client.containers.list(filters=ours), "the first runner's sandbox"
        )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert docker_client.containers.get(left.id).status == "running"  # nobody removed it

    # The control plane's sweep: the lease expired, attempt 2 is queued and announced.
    wait_until(lambda: lifecycle.get(KEY).lease_expires_at < time.time(), "the lease to expire")
    lifecycle.expire(KEY, 1, "lease expired")
    second = start_runner({**runner_env, "BZZZ_RUNNER_ID": f"runner-{uuid.uuid4().hex[:12]}"})
    done = wait_for_end(lifecycle, KEY)
    second.stop()
    assert (done.state, int(done.attempt)) == ("completed", 2), done.reason
    assert docker_client.containers.list(all=True, filters=ours) == []
    pulls = github.client("alice").rest.pulls.list("acme", "calc", state="all").json()
    assert len(pulls) == 1 and pulls[0]["head"]["ref"] == done.branch
