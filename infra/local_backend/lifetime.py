"""Children that die with their parent, even when the parent is killed with SIGKILL.

atexit handlers and `finally` blocks do not run on SIGKILL (or on a crash of
the interpreter), so a server started by a test run or by the LocalStack
launcher would outlive it. Linux can tie a child to its parent: the kernel
sends the child a signal when the parent dies (prctl PR_SET_PDEATHSIG). The
signal stays set across exec, so the server itself receives it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for Popen that ties the child to this process; None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def tie() -> None:
        # Runs in the child between fork and exec.
        if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            os._exit(126)
        # The parent may have died before prctl took effect: then nobody will signal us.
        if os.getppid() != parent:
            os._exit(125)

    return tie
