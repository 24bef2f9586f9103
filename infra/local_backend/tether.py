"""A server that stops when the process that started it is gone, however it went.

    python -m infra.local_backend.tether FD -- COMMAND...

runs COMMAND as its child and watches FD, the read end of a pipe whose write end only
the starting process holds. When that process ends - exit, crash, SIGKILL - the kernel
closes the write end and the read gives EOF: the tether stops COMMAND (SIGTERM, then
SIGKILL) and exits. Unlike PR_SET_PDEATHSIG (lifetime.py), which fires when the *thread*
that forked the child ends (a server started from a short-lived thread died with it),
a pipe closes only with the whole process. A byte b"d" on the pipe detaches: the
server is meant to outlive its starter (`bzzz local up --detach`); the tether then only
waits for COMMAND. SIGTERM and SIGINT sent to the tether reach COMMAND.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

DETACH = b"d"
STOP_SECONDS = 5.0


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()


def _watch(fd: int, child: subprocess.Popen[bytes]) -> None:
    try:
        said = os.read(fd, 1)
    except OSError:
        said = b""
    if said != DETACH:  # EOF: the starting process is gone
        _stop(child)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m infra.local_backend.tether FD -- COMMAND...", file=sys.stderr)
        return 2
    fd = int(argv[0])
    child = subprocess.Popen(argv[2:])
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
    threading.Thread(target=_watch, args=(fd, child), name="tether", daemon=True).start()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
