"""Appending to a stream: a seq from the stream's counter, then one conditional PutItem.

Each append takes the next seq from the stream's counter (an atomic
increment of `next_seq` in the stream's seq-0 item, bzzz.audit.store), so
writers never race for a seq: twenty writers on one stream each pay the
same three round trips (take a seq, write the entry, move the signed head)
and are served in the order the table serves them; nobody retries, nobody
waits on anybody.

The price is in the links. A writer holding seq n cannot know entry n - 1's
hash (it may still be in flight), so `prev_hash` names the newest entry the
writer knew of: its own previous entry in the stream, or the signed head the
counter returned, whichever is later; GENESIS if it knew none. With one
writer at a time (a task's usual case) that is always entry n - 1, a plain
chain; under contention the links form per-writer chains that cross-reference
one another through the head. Every link points to an earlier entry, and
completeness comes from the seqs (1, 2, 3 … without gaps, each covered by its
entry's hash and signature) and the signed head, not from the links
(bzzz.audit.chain).

A writer that follows its own last entry in a stream (a runner through its task, the
usual case) first tries without the counter: the next seq after that entry, linked to
it, then the head and the counter moved together (`move_head(with_counter=True)`): two round
trips, not three. If that seq is taken (another writer came between), the stream counts
as contended for this log for CONTENDED_SECONDS and its appends take seqs from the
counter, so twenty writers on one stream stay fair and no write is tried twice in vain.

A task's first entry (`task.create`, appended with `fresh`) is tried the same way at
seq 1, linked to GENESIS: a new stream's first append is two round trips too. A stream
that has entries already (a task created again) refuses it, and that append goes on
through the counter, one refused write dearer.

`put_new` is still conditional (`attribute_not_exists(seq)`): if the counter
lags behind the entries (reset by hand, or a stream written before it
existed) the write finds the seq taken, the writer raises the counter past
the tail and takes another seq; it never overwrites an entry.
"""

from __future__ import annotations

import json
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
# After a seq this log guessed was taken by another writer: how long it asks the counter.
CONTENDED_SECONDS = 60.0


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
        # The last entry this log wrote per stream: the link of its next entry there.
        self._tails: dict[str, Entry] = {}
        self._contended: dict[str, float] = {}  # stream -> monotonic time it counts so until
        self._lock = threading.Lock()

    def append(
        self,
        stream: str,
        type: str,
        data: Mapping[str, Any] | None = None,
        *,
        fresh: bool = False,
    ) -> Entry:
        """Append one entry to `stream` (a task key) and return it as written.

        `data` must be canonically encodable (no floats); see bzzz.audit.canonical.
        `fresh`: the stream is likely new (a task just created), so its first entry is
        tried at seq 1 without the counter, as a writer following its own entry tries
        the next seq: two round trips, not three. If seq 1 is taken (a task created
        again), that costs one refused write, and the append goes on through the counter.
        """
        if not stream:
            raise AuditDataError("stream must not be empty")
        if not _TYPE_PATTERN.fullmatch(type):
            raise AuditDataError(f"type {type!r} is not a dotted lowercase name like task.claim")
        # Refuse bad data before any write; keep a private, JSON-normalised copy
        # (tuples become lists) so the entry returned equals the entry read back.
        body_data = json.loads(canonical(dict(data or {})))
        with self._lock:
            known: Entry | Head | None = self._tails.get(stream)
            contended = self._contended.get(stream, 0.0) > time.monotonic()
        guess: tuple[int, str] | None = None  # a seq and its link, tried without the counter
        if isinstance(known, Entry) and not contended:
            guess = (known.seq + 1, known.hash)
        elif known is None and fresh:
            guess = (1, GENESIS)
        if guess is not None:
            entry = self._chain(stream, type, body_data, *guess)
            winner = self._store.put_new(entry)
            if winner is None:
                signed = self._head(entry)
                if not self._store.move_head(signed, with_counter=True):
                    self._store.move_head(signed)  # others took seqs meanwhile: the head only
                self._remember(entry)
                return entry
            if known is not None:  # another writer came between: fall back on the counter
                with self._lock:
                    self._contended[stream] = time.monotonic() + CONTENDED_SECONDS
            known = winner
        deadline = time.monotonic() + self._timeout
        resyncs = 0
        while True:
            seq, head = self._store.take_seq(stream)
            links = [link for link in (known, head) if link is not None]
            newest = max(links, key=lambda link: link.seq, default=None)
            if newest is not None and newest.seq >= seq:
                lagging = newest.seq  # the counter is behind what exists: resync, try again
            else:
                prev = GENESIS if newest is None else newest.hash
                entry = self._chain(stream, type, body_data, seq, prev)
                winner = self._store.put_new(entry)
                if winner is None:
                    self._store.move_head(self._head(entry))
                    self._remember(entry)
                    return entry
                tail = self._store.tail(stream)
                lagging = max(seq, tail.seq if tail else 0)
                known = tail
            resyncs += 1
            if time.monotonic() > deadline:
                raise AuditContentionError(
                    f"gave up appending to {stream}: its seq counter stayed behind "
                    f"its entries through {resyncs} resyncs in {self._timeout:g} s"
                )
            self._store.raise_counter(stream, lagging)

    def _remember(self, entry: Entry) -> None:
        with self._lock:
            if len(self._tails) >= _CACHED_STREAMS:
                self._tails.clear()  # a long-lived process writes to many tasks
                self._contended.clear()
            self._tails[entry.stream] = entry

    def _head(self, entry: Entry) -> Head:
        digest = head_digest(entry.stream, entry.seq, entry.hash)
        return Head(
            entry.stream, entry.seq, entry.hash, self.signer.author, self.signer.sign(digest)
        )

    def _chain(
        self, stream: str, type: str, data: dict[str, Any], seq: int, prev_hash: str
    ) -> Entry:
        body: dict[str, Any] = {
            "stream": stream,
            "seq": seq,
            "ts": int(self._clock() * 1000),
            "author": self.signer.author,
            "type": type,
            "data": data,
            "prev_hash": prev_hash,
        }
        digest = entry_hash(body)
        return Entry(
            **body,
            hash=digest,
            signature=self.signer.sign(digest),
            seq_text=str(seq),
        )
