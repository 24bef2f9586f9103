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

    .venv/bin/python bench/claims.py [--claimers 50] [--tasks 200] [--rounds 3]
        [--dynamodb moto|dynamodb-local]

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


def bench(settings: Settings, claimers: int, tasks: int, rounds: int = 3) -> None:
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

    # Warm every path (connections, the server's JIT) before measuring.
    race(4, [f"bench-{run}/warm#{n}" for n in range(1, 50)], raw_put)
    race(4, queued("warm-updates")[:40], raw_update)
    race(4, queued("warm-claims")[:40], claim)

    # Rounds of the three paths one after another, each on fresh keys: on a shared
    # machine the load drifts, so a ratio is taken within a round and the median printed.
    ratios: dict[str, list[float]] = {"put": [], "update": []}
    for round_ in range(1, rounds + 1):
        rates = {}
        paths = (("raw PutItem", [f"bench-{run}/raw{round_}#{n}" for n in range(1, tasks + 1)],
                  raw_put),
                 ("raw UpdateItem", queued(f"updates{round_}"), raw_update),
                 ("claim", queued(f"claims{round_}"), claim))  # fmt: skip
        for name, keys, attempt in paths:
            seconds, latencies, wins = race(claimers, keys, attempt)
            assert wins == tasks, f"{name}: {wins} winners for {tasks} tasks"
            rates[name] = len(latencies) / seconds
            p50 = percentile(latencies, 50) * 1000
            p99 = percentile(latencies, 99) * 1000
            print(
                f"round {round_} {name:>14}: {len(latencies):6d} attempts in {seconds:6.2f}s = "
                f"{rates[name]:8.1f}/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                f"winners {wins}/{tasks}"
            )
        ratios["put"].append(rates["claim"] / rates["raw PutItem"])
        ratios["update"].append(rates["claim"] / rates["raw UpdateItem"])
    shown = {k: " ".join(f"{r:.2f}" for r in v) for k, v in ratios.items()}
    print(f"claim rate / raw conditional PutItem rate = {statistics.median(ratios['put']):.2f}"
          f"  (rounds: {shown['put']}; aim >= 0.8)")  # fmt: skip
    print(f"claim rate / the same UpdateItem sent raw = {statistics.median(ratios['update']):.2f}"
          f"  (rounds: {shown['update']}; aim >= 0.95)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--dynamodb", choices=["moto", "dynamodb-local"], default="moto")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with LocalBackend(dynamodb=args.dynamodb) as backend:
        _, settings = backend.use(f"bench-{uuid.uuid4().hex[:8]}")
        endpoint = settings.endpoint_url("dynamodb")
        # Named from the server's answer: with AWS_ENDPOINT_URL(_DYNAMODB) set, --dynamodb
        # starts nothing, and the endpoint may be DynamoDB Local or LocalStack.
        print(f"backend: dynamodb={identify(endpoint)} endpoint={endpoint or 'AWS'}")
        print(f"{args.claimers} claimers x {args.tasks} tasks, every claimer tries every task")
        bench(settings, args.claimers, args.tasks, args.rounds)


if __name__ == "__main__":
    main()
