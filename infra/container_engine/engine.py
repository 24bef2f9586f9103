"""Find a running container engine or start Podman's service; see the package docstring."""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from infra.container_engine.dockerd import DockerdService
from infra.container_engine.errors import ContainerEngineError
from infra.container_engine.podman import PodmanService, socket_answers

if TYPE_CHECKING:
    import docker

DOCKER_SOCKET = Path("/var/run/docker.sock")


@dataclass(frozen=True)
class ContainerEngine:
    """A Docker API endpoint that answered; `kind` is "docker" or "podman"."""

    base_url: str
    kind: str
    started_here: bool = False

    def client(self, timeout: int = 120) -> docker.DockerClient:
        import docker

        try:
            return docker.DockerClient(base_url=self.base_url, timeout=timeout)
        except docker.errors.DockerException as exc:
            raise ContainerEngineError(f"cannot connect to {self.base_url}: {exc}") from exc

    def env(self) -> dict[str, str]:
        """Environment that points child processes (the runner, the docker CLI) at this engine."""
        return {"DOCKER_HOST": self.base_url}


def _kind(base_url: str) -> str:
    import docker

    client = docker.DockerClient(base_url=base_url, timeout=5)
    try:
        components = client.version().get("Components") or []
    finally:
        client.close()
    names = " ".join(str(c.get("Name", "")) for c in components).lower()
    return "podman" if "podman" in names else "docker"


def _answers(base_url: str) -> bool:
    import docker

    try:
        client = docker.DockerClient(base_url=base_url, timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # unreachable, refused, wrong protocol: all mean "not this one"
        return False


def state_dir() -> Path:
    return Path(os.environ.get("BZZZ_STATE_DIR") or ".bzzz")


def find_engine() -> ContainerEngine | None:
    """An engine that already answers (DOCKER_HOST, the Docker socket, our Podman socket)."""
    candidates = []
    if os.environ.get("DOCKER_HOST"):
        candidates.append(os.environ["DOCKER_HOST"])
    candidates.append(f"unix://{DOCKER_SOCKET}")
    ours = (state_dir() / "podman" / "podman.sock").absolute()
    for base_url in candidates:
        if _answers(base_url):
            return ContainerEngine(base_url, _kind(base_url))
    if socket_answers(ours):
        return ContainerEngine(f"unix://{ours}", "podman")
    return None


ENGINES = ("podman", "docker")


@contextmanager
def container_engine(kind: str | None = None) -> Iterator[ContainerEngine]:
    """Yield a running engine; stop what this call started when the context exits.

    `kind=None`: whatever answers (see find_engine), else Podman's service. `"podman"`: the
    project's Podman service (reused when it answers), never another engine. `"docker"`: a
    private dockerd started here (infra.container_engine.dockerd), never the host's.
    """
    if kind not in (None, *ENGINES):
        raise ContainerEngineError(f"unknown container engine {kind!r}: one of {ENGINES}")
    if kind == "docker":
        with _dockerd() as engine:
            yield engine
        return
    socket_path = (state_dir() / "podman" / "podman.sock").absolute()
    found = find_engine() if kind is None else None
    if found is None and socket_answers(socket_path):
        found = ContainerEngine(f"unix://{socket_path}", "podman")
    if found is not None:
        yield found
        return
    service = PodmanService.start(socket_path)
    # Also at interpreter exit: a crash between here and `finally` must not leave it running.
    atexit.register(service.stop)
    try:
        yield ContainerEngine(f"unix://{socket_path}", "podman", started_here=True)
    finally:
        service.stop()
        atexit.unregister(service.stop)


@contextmanager
def _dockerd() -> Iterator[ContainerEngine]:
    service = DockerdService.start()
    atexit.register(service.stop)
    try:
        yield ContainerEngine(f"unix://{service.socket_path}", "docker", started_here=True)
    finally:
        service.stop()
        atexit.unregister(service.stop)
