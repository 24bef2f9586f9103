"""The runner on the local stack: moto (tables, topic, queues), the GitHub stand-in (REST and
git over HTTP), the Ollama stand-in with a scripted model, and the real container engine.

    runner_env                  the environment a `bzzz runner` of this test starts from: the
                                control plane's URL for tokens; no GitHub token, no App key
    control_plane               the control plane's HTTP app, holding the App key (vends tokens)
    start_runner(env=None)      a RunnerProcess running in a thread; stopped at test end
    create_task(settings)       queue acme/calc#1 through the state machine (-> task.available)
    wait_until(check, what)     poll until `check()` is truthy, else fail naming `what`
"""

from __future__ import annotations

import copy
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.github_emulator import DEMO_SEED
from tests.fixtures.control_plane import ControlPlane, app_private_key, control_plane

__all__ = ["app_private_key", "control_plane"]

MODEL = "coder:7b"
REPO = "acme/calc"
# The sandbox image has python3 but not pytest (nor a `python` command): the demo
# repository's tests are plain functions, so they run without it. -B: no __pycache__.
TEST_COMMAND = (
    "python3 -B -c 'import test_calc as t; t.test_sum_to_three(); t.test_sum_to_zero(); "
    'print("2 passed")\''
)
PLAN = "1. Make the loop in sum_to include n.\n2. Run the tests."
FIXED_CALC = '''"""A tiny calculator."""


def sum_to(n: int) -> int:
    """Return 1 + 2 + ... + n."""
    total = 0
    for i in range(1, n + 1):
        total += i
    return total
'''


def calc_seed(bzzz_yml: str | None) -> dict[str, Any]:
    """The demo seed, with `.bzzz.yml` in acme/calc when given."""
    seed = copy.deepcopy(yaml.safe_load(DEMO_SEED.read_text()))
    if bzzz_yml is not None:
        seed["repos"][0]["files"][".bzzz.yml"] = bzzz_yml
    return seed


def scenario(script: list[Any], fallback: Any = None, tools: bool = True) -> dict[str, Any]:
    model: dict[str, Any] = {
        "name": MODEL,
        "family": "qwen2",
        "parameter_size": "7B",
        "context_length": 32768,
        "default_num_ctx": 8192,
        "capabilities": ["completion", "tools"] if tools else ["completion"],
        # The plan the runner asks for before the agent starts (HMMM): a rule, so it
        # never uses up a step of the script.
        "rules": [{"when": {"system_contains": "numbered plan"}, "reply": PLAN}],
        "script": script,
    }
    if fallback is not None:
        model["fallback"] = fallback
    return {"version": "0.12.6", "models": [model]}


def run_command(command: str, delay: float = 0.0) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "tool_calls": [{"name": "run_command", "arguments": {"command": command}}]
    }
    return {**reply, "delay": delay} if delay else reply


def write_file(path: str, content: str, delay: float = 0.0) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "tool_calls": [{"name": "write_file", "arguments": {"path": path, "content": content}}]
    }
    return {**reply, "delay": delay} if delay else reply


def finish(summary: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "finish", "arguments": {"summary": summary}}]}


def wait_until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def wait_for_end(lifecycle: Any, key: str, what: str = "the task to end") -> Any:
    """The task once it has left queued/claimed/running."""
    return wait_until(
        lambda: (t := lifecycle.get(key)) and t.state not in ("queued", "claimed", "running") and t,
        what,
    )


def remote_branches(git_url: str) -> dict[str, str]:
    """Branch -> commit on the stand-in, as `git ls-remote` sees them (no credentials needed)."""
    out = subprocess.run(
        ["git", "ls-remote", "--heads", git_url], capture_output=True, text=True, check=True
    ).stdout
    return {
        ref.removeprefix("refs/heads/"): sha
        for sha, ref in (line.split("\t") for line in out.splitlines())
    }


@pytest.fixture
def runner_env(
    aws_env: dict[str, str],
    github: Any,
    ollama_emulator: Any,
    container_engine: Any,
    sandbox_image: str,
    control_plane: ControlPlane,
    tmp_path: Path,
) -> dict[str, str]:
    return {
        **aws_env,
        # Unique across sessions: the container engine, and the labels on its
        # containers, are shared by every run on this machine.
        "BZZZ_RUNNER_ID": f"runner-{uuid.uuid4().hex[:12]}",
        "BZZZ_MODEL": MODEL,
        "OLLAMA_HOST": ollama_emulator.base_url,
        "GITHUB_API_URL": github.base_url,
        # Tokens come from the control plane, per task; the App key stays there.
        "BZZZ_CONTROL_PLANE_URL": control_plane.url,
        "DOCKER_HOST": container_engine.env()["DOCKER_HOST"],
        "BZZZ_STATE_DIR": str(tmp_path / "state"),
        "BZZZ_SANDBOX_IMAGE": sandbox_image,
        "BZZZ_PROGRESS_SECONDS": "1",
        "BZZZ_RUNNER_GRACE_SECONDS": "2",
        "BZZZ_RUNNER_PROGRESS": "off",
    }


class RunningRunner:
    def __init__(self, process: Any) -> None:
        self.process = process
        self.thread = threading.Thread(target=process.run, name="runner", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        self.process.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the runner did not stop"


@pytest.fixture
def start_runner(
    runner_env: dict[str, str], aws_settings: Any
) -> Iterator[Callable[..., RunningRunner]]:
    from runner.config_checks import start_parts
    from runner.process import RunnerProcess

    started: list[RunningRunner] = []

    def start(env: dict[str, str] | None = None) -> RunningRunner:
        parts = start_parts(env or runner_env)
        running = RunningRunner(RunnerProcess(parts))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def create_task(aws_settings: Any) -> Callable[..., Any]:
    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Lifecycle

    def create(number: int = 1, title: str = "sum_to(n) leaves out n") -> Any:
        lifecycle = Lifecycle(aws_settings, publisher=Bus(aws_settings))
        task, created = lifecycle.create(REPO, number, title)
        assert created
        return task

    return create
