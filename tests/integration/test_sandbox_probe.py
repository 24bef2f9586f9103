"""The runner's start-up probe on a real engine: a real sandbox runs `true`, and none is left."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from runner.errors import ImageNotFoundError
from runner.sandbox.probe import prove_sandbox_starts

# Engine behaviour: run on Podman and on Docker Engine (tests/fixtures/containers.py).
pytestmark = pytest.mark.both_engines


def _ours(docker_client, runner_id: str) -> list[str]:
    found = docker_client.containers.list(all=True, filters={"label": f"bzzz.runner={runner_id}"})
    return [c.name for c in found]


def test_a_working_engine_passes_and_keeps_no_container(docker_client, sandbox_image, tmp_path):
    runner_id = f"probe-{uuid.uuid4().hex[:8]}"
    prove_sandbox_starts(docker_client, sandbox_image, runner_id=runner_id, scratch=tmp_path)
    assert _ours(docker_client, runner_id) == []
    assert list(tmp_path.iterdir()) == []  # its scratch workspace is gone too


def test_an_interruption_right_after_the_create_still_removes_the_container(
    docker_client, sandbox_image, tmp_path: Path, monkeypatch
):
    # Ctrl-C lands after the engine created the container but before the sandbox held it:
    # only its labels can find it.
    from docker.models.containers import ContainerCollection

    runner_id = f"probe-{uuid.uuid4().hex[:8]}"
    real_create = ContainerCollection.create
    made: list[str] = []

    def create_then_interrupt(self, *args, **kwargs):
        made.append(real_create(self, *args, **kwargs).id)
        raise KeyboardInterrupt

    monkeypatch.setattr(ContainerCollection, "create", create_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        prove_sandbox_starts(docker_client, sandbox_image, runner_id=runner_id, scratch=tmp_path)
    monkeypatch.undo()
    assert len(made) == 1
    assert made[0] not in {c.id for c in docker_client.containers.list(all=True)}
    assert _ours(docker_client, runner_id) == []


def test_an_interruption_while_true_runs_removes_the_container(
    docker_client, sandbox_image, tmp_path: Path, monkeypatch
):
    from runner.sandbox.container import Sandbox

    runner_id = f"probe-{uuid.uuid4().hex[:8]}"
    started: list[str] = []

    def interrupted(self, command, timeout=None):
        started.append(self.id)  # the container is up and running
        raise KeyboardInterrupt

    monkeypatch.setattr(Sandbox, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prove_sandbox_starts(docker_client, sandbox_image, runner_id=runner_id, scratch=tmp_path)
    assert len(started) == 1
    assert _ours(docker_client, runner_id) == []


def test_a_missing_image_is_the_sandboxs_typed_error(docker_client, tmp_path: Path):
    with pytest.raises(ImageNotFoundError, match="bzzz-no-such-image"):
        prove_sandbox_starts(
            docker_client, "bzzz-no-such-image:never", runner_id="probe-x", scratch=tmp_path
        )
