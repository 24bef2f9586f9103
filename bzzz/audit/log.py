"""Appending to a stream: the next seq is taken by a conditional PutItem.

`put_new` succeeds only if (stream, seq) is free, so two appenders can never
both write seq n; the winner then moves the stream's signed head
(bzzz.audit.head) forward to its entry. The loser gets the winner's entry back, chains onto it
(new seq, prev_hash, hash, signature) and tries again. After two losses in a
row it re-reads the tail instead of stepping one entry at a time, and it
backs off with jitter so that 20 writers on one stream all get through. It
gives up (AuditContentionError) when `timeout` seconds pass without a win.

The last entry seen per stream is cached, so a lone writer pays one PutItem
per append; a stale cache costs one lost race, never a fork.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from bzzz.audit.canonical import GENESIS, canonical, entry_hash
from bzzz.audit.errors import AuditContentionError, AuditDataError
from bzzz.audit.head import Head, head_digest
from bzzz.audit.keys import Signer
from bzzz.audit.store import AuditStore, Entry
from bzzz.config import Settings

# `task.claim`, `command.run`, `hmmm.plan`: lowercase dotted names.
_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_CACHED_STREAMS = 1024
_BACKOFF_BASE = 0.002
_BACKOFF_CAP = 0.5


class AuditLog:
    """Appends entries signed by one author (the signer) to any stream."""

    def __init__(
        self,
        settings: Settings,
        signer: Signer,
        *,
        dynamodb: Any = None,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
    ) -> None:
        self.signer = signer
        self._store = AuditStore(settings, dynamodb)
        self._clock = clock
        self._timeout = timeout
        self._tails: dict[str, Entry | None] = {}
        self._lock = threading.Lock()

    def append(self, stream: str, type: str, data: Mapping[str, Any] | None = None) -> Entry:
        """Append one entry to `stream` (a task key) and return it as written.

        `data` must be canonically encodable (no floats); see bzzz.audit.canonical.
        """
        if not stream:
            raise AuditDataError("stream must not be empty")
        if not _TYPE_PATTERN.fullmatch(type):
            raise AuditDataError(f"type {type!r} is not a dotted lowercase name like task.claim")
        # Refuse bad data before any write; keep a private, JSON-normalised copy
        # (tuples become lists) so the entry returned equals the entry read back.
        body_data = json.loads(canonical(dict(data or {})))
        with self._lock:
            cached = stream in self._tails
            tail = self._tails.get(stream)
        if not cached:
            tail = self._store.tail(stream)
        losses = 0
        deadline = time.monotonic() + self._timeout
        while True:
            entry = self._chain(stream, type, body_data, tail)
            winner = self._store.put_new(entry)
            if winner is None:
                self._store.move_head(self._head(entry))
                with self._lock:
                    if len(self._tails) >= _CACHED_STREAMS:
                        self._tails.clear()  # a long-lived process writes to many tasks
                    self._tails[stream] = entry
                return entry
            losses += 1
            if time.monotonic() > deadline:
                raise AuditContentionError(
                    f"gave up appending to {stream} after {losses} lost races "
                    f"in {self._timeout:g} s"
                )
            tail = winner if losses < 2 else self._store.tail(stream)
            # Full-jitter exponential backoff (capped): writers that keep colliding
            # spread out instead of all retrying into the same seq again.
            time.sleep(random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**losses)))  # noqa: S311

    def _head(self, entry: Entry) -> Head:
        digest = head_digest(entry.stream, entry.seq, entry.hash)
        return Head(
            entry.stream, entry.seq, entry.hash, self.signer.author, self.signer.sign(digest)
        )

    def _chain(self, stream: str, type: str, data: dict[str, Any], tail: Entry | None) -> Entry:
        seq = 1 if tail is None else tail.seq + 1
        body: dict[str, Any] = {
            "stream": stream,
            "seq": seq,
            "ts": int(self._clock() * 1000),
            "author": self.signer.author,
            "type": type,
            "data": data,
            "prev_hash": GENESIS if tail is None else tail.hash,
        }
        digest = entry_hash(body)
        return Entry(
            **body,
            hash=digest,
            signature=self.signer.sign(digest),
            seq_text=str(seq),
        )
