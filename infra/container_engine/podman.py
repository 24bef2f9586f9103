"""Start and stop Podman's Docker-compatible API service on a project-owned socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from infra.container_engine.errors import EngineNotFoundError, EngineStartError
from infra.local_backend.lifetime import die_with_parent

PODMAN_CONF = Path(__file__).with_name("containers.conf")
_START_TIMEOUT = 30.0


def podman_env(conf: Path = PODMAN_CONF) -> dict[str, str]:
    """The environment for any podman command: ours plus `conf` (the project's containers.conf)."""
    return {**os.environ, "CONTAINERS_CONF": str(conf)}


def socket_answers(socket_path: Path) -> bool:
    """True when something serves the Docker API on `socket_path` (a `_ping` succeeds)."""
    import docker  # deferred: the docker SDK costs ~100 ms to import

    if not socket_path.is_socket():
        return False
    try:
        client = docker.DockerClient(base_url=f"unix://{socket_path}", timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # any failure to answer means "not usable"
        return False


def socket_ready(process: subprocess.Popen[bytes], socket_path: Path, timeout: float) -> bool:
    """Wait (bounded) until an engine we started answers on `socket_path`; False if it exited
    or did not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if socket_answers(socket_path):
            return True
        time.sleep(0.1)
    return False


class PodmanService:
    """A `podman system service` process we started; `stop()` ends it."""

    def __init__(self, socket_path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
        self.socket_path = socket_path
        self.process = process
        self.log = log

    @classmethod
    def start(cls, socket_path: Path, conf: Path = PODMAN_CONF) -> PodmanService:
        """Serve on `socket_path`; `conf` is another containers.conf (tests start broken ones)."""
        podman = shutil.which("podman")
        if podman is None:
            raise EngineNotFoundError(
                "no container engine: DOCKER_HOST is unset or not answering, there is no "
                "Docker socket, and podman is not installed. Install Docker, or Podman with "
                "runc (Debian: 'apt-get install podman runc catatonit', or run infra/setup.sh)."
            )
        socket_path.parent.mkdir(parents=True, exist_ok=True)
        socket_path.unlink(missing_ok=True)  # a stale socket from a dead service
        log = socket_path.with_suffix(".log")
        with log.open("wb") as out:
            process = subprocess.Popen(
                [podman, "system", "service", "--time=0", f"unix://{socket_path}"],
                env=podman_env(conf),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Not the caller's directory (the checkout): conmon writes a file `oom` into
                # its working directory when a container is OOM-killed.
                cwd=socket_path.parent,
                # Own session: a Ctrl-C in the terminal reaches us, and we stop it in order.
                start_new_session=True,
                # And it dies with us when we are killed outright (no atexit, no finally):
                # a test run cut off by a timeout left Podman's service running.
                preexec_fn=die_with_parent(),
            )
        service = cls(socket_path, process, log)
        service._wait_until_ready()
        return service

    def _wait_until_ready(self) -> None:
        if socket_ready(self.process, self.socket_path, _START_TIMEOUT):
            return
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise EngineStartError(
            f"podman system service did not answer on {self.socket_path} within "
            f"{_START_TIMEOUT:.0f}s (exit code {self.process.returncode}). Log tail:\n{tail}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.socket_path.unlink(missing_ok=True)
