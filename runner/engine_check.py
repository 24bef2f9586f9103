"""The container engine at the runner's start: it answers, has the image, and starts a sandbox.

    client = check_engine(runner_settings, environ)     # RunnerStartError, one line, if not

Two engines are supported and tested, both through the Docker API at
DOCKER_HOST: Docker Engine (`dockerd`; the tests run Debian's docker.io 20.10,
started as infra/container_engine/dockerd.py does) and Podman's
Docker-compatible service (`podman system service` with the project's
containers.conf). Nothing here asks which one it is: what differs between them
is settled where the sandbox is made (runner.sandbox.container).

An engine that answers `_ping` may still be unable to start a container (a
runtime that cannot set the rlimits Podman copies from the host, a broken
runtime), so the check ends by starting a real sandbox (runner.sandbox.probe).
Its failure message names the engine's socket, what the engine said (this is
the operator's terminal, not a public issue) and the likely fix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from runner.config import RunnerSettings
from runner.errors import ImageBuildError, RunnerStartError, SandboxError
from runner.sandbox.container import reap_orphans

if TYPE_CHECKING:
    import docker

log = logging.getLogger(__name__)

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


def check_engine(runner: RunnerSettings, env: Mapping[str, str]) -> docker.DockerClient:
    import docker

    from runner.sandbox.images.build import DEFAULT_IMAGE, ensure_default_image
    from runner.sandbox.probe import prove_sandbox_starts

    base_url = env.get("DOCKER_HOST", "").strip() or DEFAULT_DOCKER_HOST
    try:
        client = docker.DockerClient(base_url=base_url, timeout=120)
        client.ping()
    except Exception as exc:
        raise RunnerStartError(
            f"no container engine at {base_url} ({type(exc).__name__}): start Docker Engine "
            "(`dockerd`), or Podman's service (`podman system service`), and set DOCKER_HOST "
            "to its socket"
        ) from exc
    try:
        # First: the start-up probe is labelled with this runner's id like any sandbox.
        reaped = reap_orphans(client, runner.runner_id)
        if runner.sandbox_image == DEFAULT_IMAGE:
            ensure_default_image(client, log=log.info)
        else:
            try:
                client.images.get(runner.sandbox_image)
            except docker.errors.ImageNotFound as exc:
                raise RunnerStartError(
                    f"sandbox image {runner.sandbox_image} is not on the container engine at "
                    f"{base_url}: pull or build it, or unset BZZZ_SANDBOX_IMAGE"
                ) from exc
        prove_sandbox_starts(
            client, runner.sandbox_image, runner_id=runner.runner_id, scratch=runner.state_dir
        )
    except SandboxError as exc:
        raise RunnerStartError(_cannot_start(base_url, runner.sandbox_image, exc)) from exc
    if reaped:
        log.info(
            "removed %d sandbox(es) left from an earlier run: %s", len(reaped), ", ".join(reaped)
        )
    return client


def _cannot_start(base_url: str, image: str, exc: SandboxError) -> str:
    """One line: which engine, what it said, and the likely fix (docs/runner.md walks it)."""
    # The engine's own words (a docker APIError's explanation), not the SDK's URL around them.
    said = getattr(exc.__cause__, "explanation", None) or str(exc)
    said = " ".join(str(said).split())[:400]
    if isinstance(exc, ImageBuildError):
        return f"the sandbox image {image} cannot be built ({said})"
    where = f"the container engine at {base_url} cannot start a sandbox from {image} ({said})"
    if "rlimit" in said:
        # Podman copies the host's nofile/nproc limits into the container, which the
        # runtime may not set (`error setting rlimit type 7`); explicit ulimits avoid it.
        fix = (
            "start Podman's service with the project's containers.conf (runc, explicit "
            "nofile/nproc ulimits): CONTAINERS_CONF=infra/container_engine/containers.conf "
            "podman system service --time=0 unix:///run/bzzz/podman.sock, and set DOCKER_HOST "
            "to that socket"
        )
    else:
        fix = (
            f"check that `docker run --rm --network none {image} true` works on it; for "
            "Docker Engine, that dockerd runs as root with runc; for Podman, run its service "
            "with runc and infra/container_engine/containers.conf"
        )
    return f"{where}: {fix} (docs/runner.md, 'Container engine')"
