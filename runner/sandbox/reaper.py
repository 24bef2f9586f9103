"""Removing sandboxes nobody works in any more, and wrapping engine errors.

    reap_orphans(client, runner_id)        this runner id's containers, at its start
    reap_abandoned(client, deployment, holder)
                                           any runner's, once its task's lease is not its own

A runner killed outright leaves its sandboxes running, and the default runner id
(`runner-<host>-<pid>`) changes on every start, so reaping by id alone never finds
them. Every task sandbox is therefore also labelled with its deployment (a digest
of the task table it was claimed from), and every runner of that deployment
judges them by the lease: a sandbox whose runner no longer holds its task's lease
(expired, taken over by another runner, the task finished or cancelled) belongs
to nobody and is removed. A live runner's sandboxes are safe (it holds their
leases); sandboxes of another deployment or of tests sharing the engine are
never touched.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from runner.errors import EngineUnavailableError, SandboxError
from runner.sandbox.config import DEPLOYMENT_LABEL, RUNNER_LABEL, TASK_LABEL
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


def reap_abandoned(
    client: docker.DockerClient, deployment: str, holder: Callable[[str], str | None]
) -> list[str]:
    """Remove `deployment`'s sandboxes whose runner is not `holder(task)`; their names.

    `holder(task_key)`: the runner holding that task's lease now, None when nobody does.
    """
    import docker

    try:
        labelled = client.containers.list(
            all=True, filters={"label": f"{DEPLOYMENT_LABEL}={deployment}"}
        )
        removed: list[str] = []
        for container in labelled:
            labels = container.labels or {}
            task, runner = labels.get(TASK_LABEL), labels.get(RUNNER_LABEL)
            if not task or holder(task) == runner:
                continue
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
            removed.append(str(container.name))
    except Exception as exc:
        raise wrap(exc, SandboxError, "cannot reap abandoned sandboxes") from exc
    return removed


_REFUSED = re.compile(r"OCI runtime|exec failed: unable to start container process")


def engine_refused(result: CommandResult) -> bool:
    """True when the engine failed to start the command at all (it reports that in-band)."""
    return result.exit_code in (125, 126, 127, 255) and bool(_REFUSED.search(result.output))


def wrap(exc: Exception, kind: type[SandboxError], what: str) -> SandboxError:
    import requests

    if isinstance(exc, requests.exceptions.ConnectionError):
        return EngineUnavailableError(f"{what}: the container engine did not answer ({exc})")
    return kind(f"{what}: {exc}")
