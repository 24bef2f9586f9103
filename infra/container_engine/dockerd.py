"""Start and stop a private Docker Engine (`dockerd`, Debian's docker.io) on its own socket.

    service = DockerdService.start()          # root only; EngineNotFoundError without dockerd
    client = docker.DockerClient(base_url=f"unix://{service.socket_path}")
    service.stop()                             # also at interpreter exit, and if we are killed

Everything the daemon owns lives in one fresh directory under /tmp (short, so that
the sockets in it, ours and containerd's, stay under the 108-byte limit of a
unix socket path): its socket, pid file, exec root and data root (a tmpfs where
the host allows, see _mount_data_root). So it never
meets the host's own Docker (/var/run/docker.sock, /var/lib/docker), nor another
session's daemon, and `stop()` removes it all. An image does not survive the
daemon; runner.sandbox.images.build keeps the root filesystem tarball, so a new
daemon gets the sandbox image by a `docker import` of a few seconds.

Sandboxes run with network "none", so the daemon makes no bridge and touches no
iptables (`--bridge=none --iptables=false`): it changes nothing on the host.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from infra.container_engine.errors import EngineNotFoundError, EngineStartError
from infra.container_engine.podman import socket_ready
from infra.local_backend.lifetime import die_with_parent

_START_TIMEOUT = 60.0
# dockerd stops running containers before it exits (SIGTERM to each, SIGKILL after their
# stop timeout); a sandbox's init forwards SIGTERM to its keeper, so this is ample.
_STOP_TIMEOUT = 30.0
_PREFIX = "bzzz-dockerd-"
_STALE_AFTER = 300.0  # seconds: older than any start, so never a daemon still starting
_DATA_SIZE = "8g"
SOCKET_PATH_LIMIT = 107  # sun_path is 108 bytes, one of them the terminating NUL

_INSTALL = (
    "dockerd is not installed: install Debian's docker.io "
    "('apt-get install --no-install-recommends docker.io', or run infra/setup.sh)"
)


class DockerdService:
    """A `dockerd` we started, with the containerd it started; `stop()` ends both."""

    def __init__(self, root: Path, process: subprocess.Popen[bytes]) -> None:
        self.root = root
        self.process = process
        self._stopped = False

    @property
    def socket_path(self) -> Path:
        return self.root / "docker.sock"

    @property
    def log(self) -> Path:
        return self.root / "dockerd.log"

    @classmethod
    def start(cls, parent: Path | None = None) -> DockerdService:
        """Start a daemon in a new directory under `parent` (default /tmp) and wait for it."""
        dockerd = shutil.which("dockerd")
        if dockerd is None:
            raise EngineNotFoundError(_INSTALL)
        if os.geteuid() != 0:
            raise EngineStartError("dockerd needs root: run the command (or the tests) as root")
        parent = parent or Path(tempfile.gettempdir())
        _remove_stale(parent)
        root = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=parent))
        # containerd's socket is the longest path the daemon makes in it.
        longest = root / "exec" / "containerd" / "containerd.sock"
        if len(str(longest)) > SOCKET_PATH_LIMIT:
            shutil.rmtree(root, ignore_errors=True)
            raise EngineStartError(f"{root} is too long for a unix socket path under it")
        try:
            _mount_data_root(root / "data")
            command = [
                dockerd,
                f"--host=unix://{root / 'docker.sock'}",
                f"--data-root={root / 'data'}",
                f"--exec-root={root / 'exec'}",
                f"--pidfile={root / 'dockerd.pid'}",
                "--bridge=none",
                "--iptables=false",
                "--ip-forward=false",
                "--ip-masq=false",
                # Nothing from the host's /etc/docker/daemon.json: this daemon is the project's.
                f"--config-file={_empty_config(root)}",
            ]
            with (root / "dockerd.log").open("wb") as out:
                process = subprocess.Popen(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=root,  # nothing it or its children write lands in the caller's tree
                    # Own session: a Ctrl-C in the terminal reaches us, and we stop it in order.
                    start_new_session=True,
                    # Killed with us, even by SIGKILL: SIGTERM makes dockerd stop its containers;
                    # containerd has its own death signal tied to dockerd. The signal follows
                    # the thread that starts it: start it from one that lives as long as it.
                    preexec_fn=die_with_parent(),
                )
        except BaseException:
            _unmount_under(root)  # a Popen that failed leaves the data root's tmpfs
            shutil.rmtree(root, ignore_errors=True)
            raise
        service = cls(root, process)
        service._wait_until_ready()
        return service

    def _wait_until_ready(self) -> None:
        if socket_ready(self.process, self.socket_path, _START_TIMEOUT):
            return
        code = self.process.poll()
        tail = self.log.read_text(errors="replace")[-2000:]
        self.stop()
        raise EngineStartError(
            f"dockerd did not answer on {self.socket_path} within {_START_TIMEOUT:.0f}s "
            f"(exit code {code}). Log tail:\n{tail}"
        )

    def stop(self) -> None:
        """Terminate, then kill; then whatever of ours is left (containerd, shims); remove all."""
        if self._stopped:  # once: a second killpg could hit a group that reused the pid
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        # containerd runs in its own session, and each container's shim in its own group, so
        # neither is in dockerd's process group: they are found by our directory in their
        # command line (`--config <root>/exec/...`, `-address <root>/exec/...`).
        for pid in _processes_mentioning(str(self.root)):
            for victim in (*_children(pid), pid):  # a shim's child is a container's init
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(victim, signal.SIGKILL)
        _unmount_under(self.root)
        shutil.rmtree(self.root, ignore_errors=True)


def _remove_stale(parent: Path) -> None:
    """Remove the directories of daemons that died without `stop()` (their parent was killed)."""
    for root in parent.glob(f"{_PREFIX}*"):
        with contextlib.suppress(OSError):
            if time.time() - root.stat().st_mtime < _STALE_AFTER:
                continue
            if not _processes_mentioning(str(root)):
                _unmount_under(root)
                shutil.rmtree(root, ignore_errors=True)


def _mount_data_root(data: Path) -> None:
    """A tmpfs for the data root, where the host allows it (else the data root is on disk).

    Removing a data root that holds the sandbox image (overlay2: thousands of small files)
    takes about 20 s on disk and one unmount on a tmpfs; its images die with the daemon
    anyway. The size is a ceiling, not a reservation: the image and a few prepared images
    take a few hundred MB.
    """
    data.mkdir(mode=0o700)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={_DATA_SIZE},mode=0700", "bzzz-dockerd", str(data)],
        capture_output=True,
        check=False,
    )


def _empty_config(root: Path) -> Path:
    config = root / "daemon.json"
    config.write_text("{}\n")
    return config


def _processes_mentioning(text: str) -> list[int]:
    needle = text.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            children += [int(c) for c in (task / "children").read_text().split()]
    return children


def _unmount_under(root: Path) -> None:
    """Lazily unmount what a killed daemon left mounted under `root` (overlays, netns, shm)."""
    with contextlib.suppress(OSError):
        points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
        for point in sorted((p for p in points if p.startswith(f"{root}/")), reverse=True):
            subprocess.run(["umount", "-l", point], capture_output=True, check=False)
