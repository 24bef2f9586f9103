"""A long poll that a stop does not wait for, and that loses nothing when it is cut short.

SQS's long poll (up to 20 s) costs one request however long the queue stays empty, but a
runner told to stop must not sit in it: the poll runs on a daemon thread of its own, and
on a stop the caller goes on at once. Whatever the abandoned poll still brings is handed
to `give_back` (the runner makes it visible again for other runners, instead of leaving
it invisible for the queue's visibility timeout).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

CHECK_SECONDS = 0.25  # how soon a stop is seen while the poll is out


def poll_unless_stopped[T](
    receive: Callable[[], list[T]],
    stopping: threading.Event,
    give_back: Callable[[list[T]], object],
) -> list[T]:
    """`receive()`'s messages; [] at once if `stopping` is set first; its errors re-raised."""
    lock = threading.Lock()
    done = threading.Event()
    abandoned = False
    got: list[list[T] | Exception] = []

    def poll() -> None:
        try:
            result: list[T] | Exception = receive()
        except Exception as exc:
            result = exc
        with lock:
            if not abandoned:
                got.append(result)
                done.set()
                return
        if isinstance(result, list) and result:
            give_back(result)

    threading.Thread(target=poll, name="long-poll", daemon=True).start()
    while not done.wait(CHECK_SECONDS):
        if stopping.is_set():
            with lock:
                if not done.is_set():
                    abandoned = True
                    return []
    outcome = got[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
