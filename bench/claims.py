"""Claims per second and claim latency under contention, against the raw write rate.

C claimer threads race for the same N tasks (each tries every task, in its own
order), through the state machine's claim. Two baselines, the same threads on
the same endpoint in the same run:

- raw conditional PutItems (`attribute_not_exists`) on N fresh keys: the one
  DynamoDB call a claim cannot do without (aim: claims >= 0.8 x this);
- the claim's own conditional UpdateItem, rendered once and sent raw on N other
  queued tasks (only the actor and the time change per call): what DynamoDB
  costs for exactly our request, so the ratio is the cost of our layer alone
  (rendering, parsing the reply into a Task, explaining a refusal; aim >= 0.95).

    .venv/bin/python bench/claims.py [--claimers 50] [--tasks 200] [--dynamodb moto|dynamodb-local]

Runs against AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_DYNAMODB) when set, else
starts the local backend itself; the figures name the DynamoDB server that
answered (moto, dynamodb-local, localstack).
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.errors import TransitionError
from bzzz.tasks.lifecycle import Lifecycle
from bzzz.tasks.rules import RULES
from bzzz.tasks.writes import Call, render
from infra.local_backend import LocalBackend
from infra.local_backend.identify import identify


def race(
    claimers: int, keys: list[str], attempt: Callable[[str, str], bool]
) -> tuple[float, list[float], int]:
    """Run every claimer over every key; return (seconds, latencies, wins)."""
    latencies: list[float] = []
    wins = 0
    lock = threading.Lock()
    barrier = threading.Barrier(claimers + 1)

    def claimer(index: int) -> None:
        nonlocal wins
        order = keys[:]
        random.Random(index).shuffle(order)
        mine: list[float] = []
        won = 0
        barrier.wait()
        for key in order:
            start = time.perf_counter()
            won += attempt(key, f"agent-{index}")
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            wins += won

    with ThreadPoolExecutor(max_workers=claimers) as pool:
        futures = [pool.submit(claimer, i) for i in range(claimers)]
        barrier.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - started
    return elapsed, latencies, wins


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def bench(settings: Settings, claimers: int, tasks: int) -> None:
    db = aws.client("dynamodb", settings)
    run = uuid.uuid4().hex[:6]

    def raw_put(key: str, agent: str) -> bool:
        try:
            db.put_item(
                TableName=settings.tasks_table,
                Item={"key": {"S": key}, "lease_owner": {"S": agent}},
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": "key"},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    lifecycle = Lifecycle(settings)

    def claim(key: str, agent: str) -> bool:
        try:
            lifecycle.claim(key, agent)
        except TransitionError:
            return False
        return True

    # The claim's request as the state machine renders it, once; per call only the values
    # an UpdateItem must carry fresh (who, when) change.
    template = render(RULES["claim"], Call("agent-0", 0.0, settings.lease_seconds,
                                           settings.max_attempts), {})  # fmt: skip

    def raw_update(key: str, agent: str) -> bool:
        now = round(time.time(), 3)
        values = dict(template["ExpressionAttributeValues"])
        values[":set_lease_owner"] = {"S": agent}
        values[":set_lease_expires_at"] = {"N": str(now + settings.lease_seconds)}
        values[":set_updated_at"] = {"N": str(now)}
        try:
            db.update_item(
                TableName=settings.tasks_table,
                Key={"key": {"S": key}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **{**template, "ExpressionAttributeValues": values},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    setup = Lifecycle(settings)

    def queued(name: str) -> list[str]:
        return [setup.create(f"bench-{run}/{name}", n, "bench")[0].key for n in range(1, tasks + 1)]

    claim_keys, update_keys = queued("claims"), queued("updates")
    raw_keys = [f"bench-{run}/raw#{n}" for n in range(1, tasks + 1)]

    # Warm every path (connections, the server's JIT) before measuring.
    race(4, [f"bench-{run}/warm#{n}" for n in range(1, 50)], raw_put)
    race(4, queued("warm-updates")[:40], raw_update)
    race(4, queued("warm-claims")[:40], claim)

    results = {}
    paths = (("raw PutItem", raw_keys, raw_put), ("raw UpdateItem", update_keys, raw_update),
             ("claim", claim_keys, claim))  # fmt: skip
    for name, keys, attempt in paths:
        seconds, latencies, wins = race(claimers, keys, attempt)
        assert wins == tasks, f"{name}: {wins} winners for {tasks} tasks"
        rate = len(latencies) / seconds
        results[name] = (rate, latencies)
        p50 = percentile(latencies, 50) * 1000
        p99 = percentile(latencies, 99) * 1000
        print(
            f"{name:>14}: {len(latencies):6d} attempts in {seconds:6.2f}s = {rate:8.1f}/s"
            f"  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  winners {wins}/{tasks}"
        )
    ratio = results["claim"][0] / results["raw PutItem"][0]
    print(f"claim rate / raw conditional PutItem rate = {ratio:.2f}  (aim >= 0.8)")
    ours = results["claim"][0] / results["raw UpdateItem"][0]
    print(f"claim rate / the same UpdateItem sent raw = {ours:.2f}  (aim >= 0.95)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--dynamodb", choices=["moto", "dynamodb-local"], default="moto")
    args = parser.parse_args()
    with LocalBackend(dynamodb=args.dynamodb) as backend:
        _, settings = backend.use(f"bench-{uuid.uuid4().hex[:8]}")
        endpoint = settings.endpoint_url("dynamodb")
        # Named from the server's answer: with AWS_ENDPOINT_URL(_DYNAMODB) set, --dynamodb
        # starts nothing, and the endpoint may be DynamoDB Local or LocalStack.
        print(f"backend: dynamodb={identify(endpoint)} endpoint={endpoint or 'AWS'}")
        print(f"{args.claimers} claimers x {args.tasks} tasks, every claimer tries every task")
        bench(settings, args.claimers, args.tasks)


if __name__ == "__main__":
    main()
