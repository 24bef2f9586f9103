"""Removing a runner's containers from an earlier life, and wrapping engine errors."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from runner.errors import EngineUnavailableError, SandboxError
from runner.sandbox.config import RUNNER_LABEL
from runner.sandbox.output import CommandResult

if TYPE_CHECKING:
    import docker


def reap_orphans(client: docker.DockerClient, runner_id: str) -> list[str]:
    """Remove every container labelled as this runner's; returns their names."""
    import docker

    try:
        orphans = client.containers.list(all=True, filters={"label": f"{RUNNER_LABEL}={runner_id}"})
        for container in orphans:
            # Removed by someone else meanwhile: the goal is met.
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
    except Exception as exc:
        raise wrap(exc, SandboxError, "cannot reap orphaned sandboxes") from exc
    return [str(c.name) for c in orphans]


_REFUSED = re.compile(r"OCI runtime|exec failed: unable to start container process")


def engine_refused(result: CommandResult) -> bool:
    """True when the engine failed to start the command at all (it reports that in-band)."""
    return result.exit_code in (125, 126, 127, 255) and bool(_REFUSED.search(result.output))


def wrap(exc: Exception, kind: type[SandboxError], what: str) -> SandboxError:
    import requests

    if isinstance(exc, requests.exceptions.ConnectionError):
        return EngineUnavailableError(f"{what}: the container engine did not answer ({exc})")
    return kind(f"{what}: {exc}")
