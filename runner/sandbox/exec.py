"""Run one command in a container: a timeout inside, a deadline outside, output into a cap.

Inside, a small `sh` wrapper runs the command under coreutils `timeout` (TERM
at the limit, KILL 2 s later) and then kills every process the command user
still has (`kill -9 -1`: all but the container's init and keeper, which run as
another uid). So nothing a command starts outlives it - a backgrounded fork
bomb or a daemon that left the process group included - and the wrapper needs
no new process to do it, which matters when a fork bomb has filled the pids
limit. The docker SDK's exec_run has no timeout, so outside we read the exec's
hijacked socket ourselves with a deadline a few seconds past the command's; if
the wrapper itself was stuck, a second exec kills everything, and if even that
cannot run, the caller restarts the container.
"""

from __future__ import annotations

import select
import struct
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from runner.sandbox.output import OutputCap

if TYPE_CHECKING:
    from docker import APIClient

# `2>&1`: one stream in the order the command wrote it. Docker Engine copies an exec's
# stdout and stderr pipes concurrently, so across two streams "fetching" on stdout could
# arrive after the error on stderr that followed it (it did, under load; Podman kept it).
_WRAPPER = (
    'limit=$1; shift; timeout -k 2 "$limit" "$@" 2>&1; rc=$?; kill -9 -1 2>/dev/null; exit $rc'
)
_KILL_ALL = ["/bin/sh", "-c", "kill -9 -1; exit 0"]
_KILL_AFTER = 2.0  # the wrapper's `timeout -k`: TERM first, KILL this much later
_BACKSTOP = 5.0  # the host waits this long past the command's timeout before acting itself
_DRAIN_AFTER_KILL = 5.0  # seconds to wait for the stream to close once all is killed
TIMED_OUT_CODES = (124, 137)  # `timeout` after TERM; KILL after -k (or by the backstop)
_HEADER = struct.Struct(">BxxxL")  # Docker's multiplexed stream frame header


class KillFailedError(Exception):
    """The kill exec could not run (the engine refused it); the caller restarts the container."""


def run_exec(
    api: APIClient,
    container_id: str,
    argv: Sequence[str],
    *,
    user: str,
    environment: Mapping[str, str],
    timeout: float,
    cap: OutputCap,
) -> tuple[int | None, bool]:
    """Run `argv`; return (exit code or None if unknown, timed out). Output goes into `cap`."""
    wrapped = ["/bin/sh", "-c", _WRAPPER, "bzzz-run", f"{timeout:g}", *argv]
    exec_id = api.exec_create(
        container_id, wrapped, user=user, environment=dict(environment), workdir="/workspace"
    )["Id"]
    started = time.monotonic()
    sock = api.exec_start(exec_id, socket=True)
    frames = _Frames(cap)
    try:
        if not _pump(sock, frames, started + timeout + _KILL_AFTER + _BACKSTOP):
            kill_all(api, container_id, user)
            if not _pump(sock, frames, time.monotonic() + _DRAIN_AFTER_KILL):
                raise KillFailedError("the command's stream stayed open after kill -9 -1")
            return _exit_code(api, exec_id), True
    finally:
        sock.close()
    code = _exit_code(api, exec_id)
    elapsed = time.monotonic() - started
    return code, code in TIMED_OUT_CODES and elapsed >= timeout


def kill_all(api: APIClient, container_id: str, user: str) -> None:
    """SIGKILL every process in the container except init (and the killer itself)."""
    try:
        kill = api.exec_create(container_id, _KILL_ALL, user=user)["Id"]
        output = api.exec_start(kill)
        code = _exit_code(api, kill)
    except Exception as exc:  # any engine failure: the caller falls back to a restart
        raise KillFailedError(str(exc)) from exc
    if code != 0:  # e.g. runc could not start it because the pids limit is full
        raise KillFailedError(f"kill exec failed ({code}): {output!r}")


def _pump(sock: object, frames: _Frames, deadline: float) -> bool:
    """Read until EOF (True) or the deadline (False)."""
    fd = sock.fileno()  # type: ignore[attr-defined]
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLHUP)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if not poller.poll(min(remaining, 1.0) * 1000):
            continue
        data = sock.read(65536)  # type: ignore[attr-defined]
        if not data:
            return True
        frames.feed(data)


class _Frames:
    """Parses the 8-byte-header frames of a non-TTY exec stream; stdout and stderr merged."""

    def __init__(self, cap: OutputCap) -> None:
        self.cap = cap
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= _HEADER.size:
            _, size = _HEADER.unpack_from(self.buffer)
            end = _HEADER.size + size
            if len(self.buffer) < end:
                return
            self.cap.feed(bytes(self.buffer[_HEADER.size : end]))
            del self.buffer[:end]


def _exit_code(api: APIClient, exec_id: str) -> int | None:
    # The engine may record the exit a moment after the stream closes.
    for _ in range(50):
        info = api.exec_inspect(exec_id)
        if not info.get("Running"):
            code = info.get("ExitCode")
            return int(code) if code is not None else None
        time.sleep(0.05)
    return None
