"""The runner on the local stack: moto (tables, topic, queues), the GitHub stand-in (REST and
git over HTTP), the Ollama stand-in with a scripted model, and the real container engine.

    runner_env                  the environment a `bzzz runner` of this test starts from: the
                                control plane's URL for tokens; no GitHub token, no App key
    control_plane               the control plane's HTTP app, holding the App key (vends tokens)
    start_runner(env=None)      a RunnerProcess running in a thread; stopped at test end
    create_task(settings)       queue acme/calc#1 through the state machine (-> task.available)

Every test here is marked `e2e`; the scenarios and waits they share are in
tests/fixtures/runner_scenario.py.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.control_plane import ControlPlane, app_private_key, control_plane
from tests.fixtures.runner_scenario import MODEL, REPO
from tests.fixtures.tiers import mark_tier

__all__ = ["app_private_key", "control_plane"]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, Path(__file__).parent, "e2e")


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
