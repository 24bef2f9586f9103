"""The container engine the sandbox runs on: Docker Engine, or Podman's Docker-compatible service.

    with container_engine() as engine:       # finds one, or starts Podman's service
        client = engine.client()             # a docker.DockerClient
        os.environ.update(engine.env())      # DOCKER_HOST for child processes
    with container_engine("docker") as engine:   # a private dockerd (root), stopped at exit
    with container_engine("podman") as engine:   # Podman's service, never another engine

Search order without a kind: `DOCKER_HOST` when set and answering; the Docker
socket (/var/run/docker.sock); else `podman system service` on a socket under
the state dir (`BZZZ_STATE_DIR`, default `.bzzz`), configured by the project's
`containers.conf` (runc runtime, explicit ulimits), stopped when the context
exits. A socket another process already serves is reused and left running.
`"docker"` starts Debian's dockerd on a directory of its own (dockerd.py); the
tests run their sandbox, runner and demo tests on both kinds.
"""

from infra.container_engine.engine import ENGINES, ContainerEngine, container_engine, find_engine
from infra.container_engine.errors import ContainerEngineError, EngineNotFoundError
from infra.container_engine.podman import PODMAN_CONF, podman_env

__all__ = [
    "ENGINES",
    "PODMAN_CONF",
    "ContainerEngine",
    "ContainerEngineError",
    "EngineNotFoundError",
    "container_engine",
    "find_engine",
    "podman_env",
]
