"""Counting AWS requests in a process: a botocore `before-send` hook on every client.

`install()` wraps botocore's `Session.create_client`, so every client made
afterwards (boto3's, and PynamoDB's own sessions) counts each HTTP attempt,
retries included, by service and operation: what AWS bills. A process killed
with SIGKILL loses what it counted since its last `flush` (once a second).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

_counts: Counter[str] = Counter()
_lock = threading.Lock()
_installed = False


def _count(event_name: str, **_: Any) -> None:
    # event_name: before-send.<service>.<Operation>
    _, service, operation = event_name.split(".", 2)  # before-send.<service>.<Operation>
    with _lock:
        _counts[f"{service}.{operation}"] += 1


def _table(event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
    # before-parameter-build.dynamodb.<Operation>: which table (the name less the stack's)
    table = str((params or {}).get("TableName", "?")).rsplit("-", 1)[-1]
    with _lock:
        _counts[f"table:{table}.{event_name.rsplit('.', 1)[-1]}"] += 1


def _written(params: dict[str, Any]) -> str:
    """The attributes an UpdateItem sets or adds, named as the table names them: which
    write it is (a claim, a heartbeat, a status comment recorded...)."""
    names = params.get("ExpressionAttributeNames") or {}
    expression = str(params.get("UpdateExpression", ""))
    found = re.findall(r"(#?\w+)\s*=", expression) + re.findall(r"\bADD\s+(#?\w+)", expression)
    return ",".join(sorted({names.get(n, n) for n in found})[:5]) or "?"


def _update(event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
    # before-parameter-build.dynamodb.UpdateItem: what a task-row write sets
    table = str((params or {}).get("TableName", "?")).rsplit("-", 1)[-1]
    if table == "tasks":
        with _lock:
            _counts[f"sets:{_written(params or {})}"] += 1


def _empty_receive(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
    # after-call.sqs.ReceiveMessage: a poll that found nothing (idle runners, drains)
    if isinstance(parsed, dict) and not parsed.get("Messages"):
        with _lock:
            _counts["idle:sqs.ReceiveMessage(empty)"] += 1


def install() -> None:
    """Count every request of every botocore client created from now on, in this process."""
    global _installed
    if _installed:
        return
    import botocore.session

    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        client.meta.events.register("before-send.*.*", _count)
        client.meta.events.register("before-parameter-build.dynamodb.*", _table)
        client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", _update)
        client.meta.events.register("after-call.sqs.ReceiveMessage", _empty_receive)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    _installed = True


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def flush(path: Path) -> None:
    """Write the counts so far (atomically: a reader never sees half a file)."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(snapshot()))
    tmp.replace(path)


def flush_every(path: Path, seconds: float, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(seconds):
            flush(path)
        flush(path)

    thread = threading.Thread(target=loop, name="count-flush", daemon=True)
    thread.start()
    return thread


def merge(paths: list[Path]) -> Counter[str]:
    total: Counter[str] = Counter()
    for path in paths:
        if path.exists():
            total.update(json.loads(path.read_text()))
    return total
