"""Audit log throughput: appends/s (1 and N writers on one stream), verified entries/s.

Baselines come from the same run on the same endpoint:
- appends vs raw conditional PutItems (`attribute_not_exists(seq)`) of items of
  the same size, with the same thread count, each thread on its own seqs (no
  races): the one DynamoDB call an append cannot do without. The ratio shows
  what hashing, signing and (for N writers) lost races cost.
- verification vs reading the same stream (paged Query): the ratio shows what
  re-hashing and checking signatures cost on top of the read.

    .venv/bin/python bench/audit.py [--entries 1000] [--writers 20] [--dynamodb moto|dynamodb-local]

Starts the local backend itself (moto unless told otherwise).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections.abc import Callable

from bzzz import aws
from bzzz.audit import (
    CONTROL_PLANE,
    GENESIS,
    AuditLog,
    Signer,
    publish_public_key,
    verify_stream,
)
from bzzz.audit.registry import load_registry
from bzzz.audit.store import AuditStore, to_item
from bzzz.config import Settings
from infra.local_backend import LocalBackend

DATA = {"command": "pytest -q tests/unit", "exit_code": 0, "output_sha256": "sha256:" + "ab" * 32}


def threaded(threads: int, work: Callable[[int], None]) -> float:
    """Run work(i) on `threads` threads released together; return the wall time."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def raw_puts(settings: Settings, signer: Signer, threads: int, count: int) -> float:
    """Conditional PutItems of append-sized items; each thread writes its own seqs."""
    db = aws.client("dynamodb", settings)
    stream = f"bench/raw#{uuid.uuid4().hex[:8]}"
    template = AuditLog(settings, signer)._chain(stream, "command.run", DATA, 1, GENESIS)
    per = count // threads

    def work(index: int) -> None:
        for n in range(index * per + 1, (index + 1) * per + 1):
            item = to_item(template) | {"seq": {"N": str(n)}}
            db.put_item(
                TableName=settings.audit_table,
                Item=item,
                ConditionExpression="attribute_not_exists(#q)",
                ExpressionAttributeNames={"#q": "seq"},
            )

    return (per * threads) / threaded(threads, work)


def appends(settings: Settings, signers: list[Signer], count: int, stream: str) -> float:
    per = count // len(signers)
    latencies: list[float] = []
    by_writer: list[float] = [0.0] * len(signers)

    def work(index: int) -> None:
        # A long timeout: this measures throughput; a loaded backend makes losers wait.
        log = AuditLog(settings, signers[index], timeout=600)
        for _ in range(per):
            started = time.perf_counter()
            log.append(stream, "command.run", DATA)
            latencies.append(time.perf_counter() - started)
            by_writer[index] += latencies[-1]

    rate = (per * len(signers)) / threaded(len(signers), work)
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2] * 1000, latencies[len(latencies) * 99 // 100] * 1000
    worst = latencies[-1] * 1000
    print(f"  {len(signers)} writer(s): append latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {worst:.1f} ms")  # fmt: skip
    if len(signers) > 1:
        # Fairness: how long each writer spent appending its share, slowest vs fastest.
        print(f"  time per writer for {per} appends: fastest {min(by_writer):.2f} s, "
              f"slowest {max(by_writer):.2f} s")  # fmt: skip
    return rate


def report(name: str, rate: float, baseline: float, baseline_name: str) -> None:
    ratio = rate / baseline
    print(f"{name:>34}: {rate:8.1f}/s   {baseline_name}: {baseline:8.1f}/s   ratio {ratio:.2f}")


def bench(settings: Settings, entries: int, writers: int) -> None:
    # The lone writer is a runner holding the task's lease (its claim is the first entry);
    # the N writers share the control plane's key, as concurrent Lambda invocations do,
    # since only the control plane writes to a stream without holding its lease.
    runner = Signer.generate("agent-0")
    publish_public_key(settings, runner)
    control = Signer.generate(CONTROL_PLANE)
    settings = settings.with_overrides(audit_public_key=control.public_key)
    raw_puts(settings, runner, 4, 200)  # warm connections and the server

    # Baseline first, then appends, so neither gains from running on a smaller table.
    single = f"bench/single#{uuid.uuid4().hex[:8]}"
    claim = {"state": "claimed", "attempt": 1, "lease_owner": runner.author}
    AuditLog(settings, runner).append(single, "task.claim", claim)
    baseline = raw_puts(settings, runner, 1, entries)
    report("appends, 1 writer", appends(settings, [runner], entries, single), baseline,
           "raw PutItem, 1 thread")  # fmt: skip
    shared = f"bench/shared#{uuid.uuid4().hex[:8]}"
    baseline = raw_puts(settings, runner, writers, entries)
    concurrent = appends(settings, [control] * writers, entries, shared)
    report(f"appends, {writers} writers, 1 stream", concurrent, baseline, f"raw, {writers} threads")

    store = AuditStore(settings)
    registry = load_registry(settings)
    for stream in (single, shared):
        started = time.perf_counter()
        count = len(store.stream(stream))
        read_rate = count / (time.perf_counter() - started)
        started = time.perf_counter()
        result = verify_stream(settings, stream, registry=registry)
        verify_rate = result.entries / (time.perf_counter() - started)
        assert result.ok, result.finding
        report(f"verified entries ({count})", verify_rate, read_rate, "read only (Query)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--dynamodb", choices=["moto", "dynamodb-local"], default="moto")
    args = parser.parse_args()
    with LocalBackend(dynamodb=args.dynamodb) as backend:
        _, settings = backend.use(f"bench-{uuid.uuid4().hex[:8]}")
        print(f"backend: dynamodb={args.dynamodb} endpoint={settings.endpoint_url('dynamodb')}")
        bench(settings, args.entries, args.writers)


if __name__ == "__main__":
    main()
