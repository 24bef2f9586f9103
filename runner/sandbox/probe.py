"""Proof that the engine can start a sandbox: one real, tiny sandbox that runs `true`.

    prove_sandbox_starts(client, image, runner_id=..., scratch=state_dir)   # SandboxError if not

An engine that answers `_ping` may still be unable to start a container (a
runtime that cannot set the rlimits Podman copies from the host, a broken
runtime, no cgroups). The probe is a `Sandbox` like a task's - same image, no
network, the same security options and limits - with an empty scratch
workspace. It is removed afterwards, also when the probe is interrupted: a
container created before an interruption reached us is found by its labels
(this runner, PROBE_TASK) and removed; one a SIGKILL left is reaped at the
runner's next start like any orphan of its id.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from runner.errors import SandboxStartError
from runner.sandbox.config import RUNNER_LABEL, TASK_LABEL, SandboxConfig
from runner.sandbox.container import Sandbox

if TYPE_CHECKING:
    import docker

PROBE_TASK = "start-up-check"
_TIMEOUT = 60.0


def prove_sandbox_starts(
    client: docker.DockerClient, image: str, *, runner_id: str, scratch: Path
) -> None:
    """Start a sandbox from `image`, run `true` in it, remove it; SandboxError when it cannot."""
    scratch.mkdir(parents=True, exist_ok=True)
    config = SandboxConfig(image=image, command_timeout=_TIMEOUT)
    with tempfile.TemporaryDirectory(dir=scratch, prefix="probe-") as tmp:
        box = Sandbox(client, Path(tmp), runner_id=runner_id, task_key=PROBE_TASK, config=config)
        try:
            box.start()
            result = box.run("true")
        finally:
            box.remove()
            _remove_leftovers(client, runner_id)
    if result.exit_code != 0:
        raise SandboxStartError(
            f"`true` in a new sandbox {result.explanation}: {result.output[-500:].strip()}"
        )


def _remove_leftovers(client: docker.DockerClient, runner_id: str) -> None:
    labels = [f"{RUNNER_LABEL}={runner_id}", f"{TASK_LABEL}={PROBE_TASK}"]
    # Best effort: the probe's own error (or the interruption) is what the caller must see.
    with contextlib.suppress(Exception):
        for container in client.containers.list(all=True, filters={"label": labels}):
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
