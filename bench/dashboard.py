"""The dashboard's task list: its server time against the DynamoDB requests it makes.

Fills the tasks table with N tasks over a few repositories and states, then times the
task list as the route builds it (bzzz.dashboard.task_list + the Jinja2 page, in
process: the server's share of a request), and the exact DynamoDB requests that one
listing made, captured from PynamoDB's botocore client and replayed raw with boto3,
in alternating rounds on the same endpoint. Aim: list p99 <= 3 x the requests' p99.

    .venv/bin/python bench/dashboard.py [--tasks 300] [--rounds 200]
        [--dynamodb moto|dynamodb-local]

Runs against AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_DYNAMODB) when set, else starts
the local backend itself; the figures name the DynamoDB server that answered.
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import Any

from bench.claims import percentile
from bzzz import aws
from bzzz.config import Settings
from bzzz.dashboard import Access, task_list
from bzzz.hive.server import HiveApi
from bzzz.store.models import Task
from bzzz.tasks.lifecycle import Lifecycle
from handlers.http_app.dashboard.render import environment
from infra.local_backend import LocalBackend
from infra.local_backend.identify import identify

REPOS = ("acme/calc", "acme/web", "beta/api", "gamma/cli")


def fill(lifecycle: Lifecycle, tasks: int) -> None:
    for n in range(1, tasks + 1):
        key = lifecycle.create(REPOS[n % len(REPOS)], n, f"bench task {n}")[0].key
        if n % 3 == 0:
            lifecycle.claim(key, f"runner-{n % 7}")
        if n % 6 == 0:
            lifecycle.start(key, f"runner-{n % 7}")


def capture(call: Any) -> list[tuple[str, dict[str, Any]]]:
    """The DynamoDB requests `call()` makes through PynamoDB, as (operation, API params)."""
    client = Task._get_connection().connection.client
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, dict(params)))

    client.meta.events.register("provide-client-params.dynamodb.*", record)
    try:
        call()
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.*", record)
    return seen


def bench(settings: Settings, tasks: int, rounds: int) -> None:
    lifecycle = Lifecycle(settings)
    fill(lifecycle, tasks)
    hive = HiveApi(settings, lifecycle)
    # A user who reads two of the four repositories: the filter is part of the work.
    viewer = Access(
        "alice", readable=frozenset({"acme/calc", "acme/web"}), writable=frozenset({"acme/calc"})
    )
    template = environment().get_template("tasks.html")

    def listing() -> int:
        content = task_list(hive, viewer)
        page = template.render(listing=content, query="", viewer=viewer, csrf="x", notice="")
        return len(content.rows) + 0 * len(page)

    requests = capture(listing)
    db = aws.client("dynamodb", settings)

    def raw() -> None:
        for operation, params in requests:
            db._make_api_call(operation, params)  # exactly the captured request

    shown = listing()
    for _ in range(20):  # warm connections, templates and the server
        listing()
        raw()
    timed: dict[str, list[float]] = {"list": [], "raw": []}
    for _ in range(rounds):  # alternating: drift on a shared machine hits both alike
        for name, call in (("list", listing), ("raw", raw)):
            start = time.perf_counter()
            call()
            timed[name].append(time.perf_counter() - start)
    ops = ", ".join(sorted({op for op, _ in requests}))
    print(
        f"{tasks} tasks in the table; the viewer reads {shown} of them; one listing makes "
        f"{len(requests)} DynamoDB request(s): {ops}"
    )
    for name, label in (("list", "task list (server)"), ("raw", "its requests, raw")):
        values = timed[name]
        print(
            f"{label:>20}: p50 {percentile(values, 50) * 1000:7.2f} ms  "
            f"p99 {percentile(values, 99) * 1000:7.2f} ms  ({len(values)} runs)"
        )
    ratio99 = percentile(timed["list"], 99) / percentile(timed["raw"], 99)
    ratio50 = percentile(timed["list"], 50) / percentile(timed["raw"], 50)
    print(
        f"task list / its DynamoDB requests: p99 {ratio99:.2f}  p50 {ratio50:.2f}  (aim p99 <= 3)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--dynamodb", choices=["moto", "dynamodb-local"], default="moto")
    args = parser.parse_args()
    with LocalBackend(dynamodb=args.dynamodb) as backend:
        _, settings = backend.use(f"bench-{uuid.uuid4().hex[:8]}")
        endpoint = settings.endpoint_url("dynamodb")
        print(f"backend: dynamodb={identify(endpoint)} endpoint={endpoint or 'AWS'}")
        bench(settings, args.tasks, args.rounds)


if __name__ == "__main__":
    main()
