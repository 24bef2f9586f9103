"""Webhook figures: warm latency against the raw calls, cold import, memory over 1,000 deliveries.

1. Warm in-process p50/p99 of a summoning delivery (`issues.labeled` with the
   summon label, a new issue each time) through the Lambda entry point, next
   to the raw cost of the same calls on the same backend, interleaved one for
   one in the same process (moto's queues grow as messages pile up, so both
   must see the same state): the conditional PutItem of the delivery, the
   conditional PutItem of the task, the SNS publish and the UpdateItem that
   marks the delivery handled (aim: ratio <= 2), and the same plus the GitHub
   permission GET.
2. Cold import of the entry module (`handlers.http`) in a fresh interpreter,
   and of everything the first delivery loads, next to `import boto3` measured
   in the same run (this machine is slow; aim <= 300 ms on a normal one); and
   the modules the first summoning delivery has loaded when it answers, counted
   in the serving child, next to the modules `import boto3` loads (aim <= 1.5 x).
   Every child sees only what the Lambda layer holds (the `lambda` extra's
   dependencies, from uv.lock): the dev venv has more (rich and click, which
   httpx imports whenever it finds them, awscrt), which Lambda never pays for.
3. Peak RSS of a process that imports the entry module and serves 1,000
   deliveries (aim <= 128 MB, so the function fits a 256 MB Lambda).

    .venv/bin/python bench/webhook.py [--deliveries 1000] [--imports 5]

Starts moto server (or uses AWS_ENDPOINT_URL) and the GitHub stand-in itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret"
FIRST_DELIVERY_MODULES = [
    "handlers.http", "bzzz.intake.handling", "bzzz.bus", "bzzz.secrets", "bzzz.hive.server",
    "bzzz.github.client", "githubkit", "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
]  # fmt: skip


# Run first in every child: refuse the third-party packages the Lambda layer lacks.
LAYER_ONLY = """
import os as _os, sys as _sys
class _LayerOnly:
    _refused = set(_os.environ.get("BENCH_NOT_IN_LAYER", "").split(","))
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in self._refused:
            raise ModuleNotFoundError(f"{top} is not in the Lambda layer", name=name)
        return None
_sys.meta_path.insert(0, _LayerOnly())
"""


def not_in_layer() -> str:
    """Comma-separated top-level modules installed here whose distribution the layer lacks."""
    import importlib.metadata
    import shutil

    # What infra/lambda_build/Makefile installs: the `lambda` extra as uv.lock pins it.
    uv = os.environ.get("UV") or shutil.which("uv") or str(ROOT / ".bzzz/tools/bin/uv")
    exported = subprocess.run(
        [uv, "export", "--frozen", "--extra", "lambda", "--no-dev", "--no-hashes",
         "--no-emit-project", "--format", "requirements-txt", "--quiet"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    layer = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in exported.splitlines()
        if line and not line.startswith((" ", "#"))
    }

    def normal(name: str) -> str:
        return name.lower().replace("_", "-")

    ours = {"bzzz", "handlers", "bench", "tests", "infra", "cli", "runner", "eval"}
    refused = {
        top
        for top, dists in importlib.metadata.packages_distributions().items()
        if top not in ours and not any(normal(dist) in layer for dist in dists)
    }
    return ",".join(sorted(refused))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def import_seconds(statement: str, runs: int) -> float:
    """Median wall time of `statement` in a fresh interpreter (bytecode already cached)."""
    code = LAYER_ONLY + (
        f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def modules_loaded(statement: str) -> int:
    """How many modules `statement` adds to a fresh interpreter's sys.modules."""
    count = f"import sys; n = len(sys.modules); {statement}; print(len(sys.modules) - n)"
    code = LAYER_ONLY + count
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def labeled_event(number: int) -> dict:
    from tests.events.http_api import labeled_payload, webhook_event

    payload = labeled_payload()
    payload["issue"]["number"] = number
    payload["issue"]["title"] = f"bench issue {number}"
    return webhook_event(payload, delivery=str(uuid.uuid4()), secret=SECRET)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM).

    Not `ru_maxrss`: Linux carries that over from the parent across exec, so a
    child of this (large) bench process would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def serve(count: int, out: str) -> None:
    """Child process: import the entry module, serve `count` summons, write figures to `out`."""
    import types

    exec(LAYER_ONLY, {})  # our own constant: the layer's packages only, as in the cold imports
    before = len(sys.modules)
    cold = time.perf_counter()
    import handlers.http as entry

    latencies: list[float] = []
    raw_aws: list[float] = []
    raw_all: list[float] = []
    context = types.SimpleNamespace(aws_request_id="bench")
    raw = None
    first: dict[str, float] = {}
    for number in range(1, count + 1):
        event = labeled_event(number)
        start = time.perf_counter()
        reply = entry.handler(event, context)
        latencies.append(time.perf_counter() - start)
        assert reply["statusCode"] == 200, reply
        if number == 1:
            first = {"first_modules": len(sys.modules) - before,
                     "first_seconds": time.perf_counter() - cold}  # fmt: skip
        # Interleaved, so both see the same backend state (moto's queues grow).
        raw = raw or RawCalls()
        aws_s, all_s = raw.once(number)
        raw_aws.append(aws_s)
        raw_all.append(all_s)
    figures = {"latencies": latencies, "raw_aws": raw_aws, "raw_all": raw_all, **first}
    Path(out).write_text(json.dumps({**figures, "peak_mb": peak_rss_mb()}))


class RawCalls:
    """The same calls made directly: the two conditional puts, the publish (same attribute,
    so SNS fans it out to the same queues), the update; then the permission GET."""

    def __init__(self) -> None:
        import httpx

        from bzzz import aws
        from bzzz.config import get_settings

        self.settings = get_settings()
        self.db = aws.client("dynamodb", self.settings)
        self.sns = aws.client("sns", self.settings)
        self.gh = httpx.Client(
            base_url=os.environ["GITHUB_API_URL"],
            headers={"Authorization": f"token {os.environ['GITHUB_TOKEN']}"},
        )

    def once(self, i: int) -> tuple[float, float]:
        """(seconds of the AWS calls, seconds with the GitHub call too)."""
        settings, db = self.settings, self.db
        start = time.perf_counter()
        key, delivery = f"raw/bench#{i}", uuid.uuid4().hex
        db.put_item(
            TableName=settings.deliveries_table,
            Item={"delivery_id": {"S": delivery}},
            ConditionExpression="attribute_not_exists(delivery_id)",
        )
        db.put_item(
            TableName=settings.tasks_table,
            Item={"key": {"S": key}},
            ConditionExpression="attribute_not_exists(#k)",
            ExpressionAttributeNames={"#k": "key"},
        )
        self.sns.publish(
            TopicArn=settings.topic_arn,
            Message="{}",
            MessageGroupId=key,
            MessageDeduplicationId=delivery,
            MessageAttributes={"type": {"DataType": "String", "StringValue": "task.available"}},
        )
        db.update_item(TableName=settings.deliveries_table, Key={"delivery_id": {"S": delivery}},
                       UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                       ExpressionAttributeValues={":s": {"S": "handled"}})  # fmt: skip
        middle = time.perf_counter()
        self.gh.get("/repos/acme/calc/collaborators/alice/permission").raise_for_status()
        return middle - start, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--imports", type=int, default=5)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.deliveries, args.serve)
        return 0

    from infra.github_emulator import DEMO_SEED, GitHubEmulator, start_in_thread
    from infra.github_emulator.seed import load_seed
    from infra.local_backend import LocalBackend

    os.environ["BENCH_NOT_IN_LAYER"] = not_in_layer()
    print(f"cold import (median of {args.imports} fresh interpreters, Lambda layer packages only)")
    boto3_s = import_seconds("import boto3", args.imports)
    entry_s = import_seconds("import handlers.http", args.imports)
    full_s = import_seconds("; ".join(f"import {m}" for m in FIRST_DELIVERY_MODULES), args.imports)
    print(f"  import boto3 (baseline)            {boto3_s * 1000:8.0f} ms")
    for label, seconds in (
        ("import handlers.http (entry)", entry_s),
        ("+ what the first delivery loads", full_s),
    ):
        print(f"  {label:<35}{seconds * 1000:7.0f} ms  ({seconds / boto3_s:.2f} x boto3)")

    backend = LocalBackend()
    emulator = GitHubEmulator.from_seed(load_seed(DEMO_SEED))
    running = start_in_thread(emulator)
    try:
        backend.start_servers()
        env = backend.provision(f"bench{uuid.uuid4().hex[:8]}")
        # boto3 reads credentials from the process environment (dummy ones for moto).
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(name, env.get(name) or "testing")
        token = "ghp_alice_demo_token"
        child_env = {**os.environ, **env, "BZZZ_WEBHOOK_SECRET": SECRET, "GITHUB_TOKEN": token,
                     "GITHUB_API_URL": running.base_url, "BZZZ_API_KEY": "bench",
                     "POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}  # fmt: skip
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--serve", out.name]
            command += ["--deliveries", str(args.deliveries)]
            subprocess.run(command, env=child_env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            served = json.loads(Path(out.name).read_text())
        skip = min(50, len(served["latencies"]) // 10)
        warm = served["latencies"][skip:]
        raw_aws, raw_all = served["raw_aws"][skip:], served["raw_all"][skip:]
    finally:
        running.stop()
        backend.stop()

    boto3_modules = modules_loaded("import boto3")
    first_modules = served["first_modules"]
    print(f"first summoning delivery (fresh process: import, build, serve): "
          f"{served['first_seconds'] * 1000:.0f} ms")  # fmt: skip
    print(f"  modules loaded: {first_modules}, import boto3: {boto3_modules}  "
          f"({first_modules / boto3_modules:.2f} x boto3, aim <= 1.5)")  # fmt: skip
    p50, p99 = percentile(warm, 0.5), percentile(warm, 0.99)
    a50, a99 = percentile(raw_aws, 0.5), percentile(raw_aws, 0.99)
    g50, g99 = percentile(raw_all, 0.5), percentile(raw_all, 0.99)
    print(f"warm summoning delivery, {len(warm)} after warm-up (p50 / p99)")
    print(f"  through handlers.http.handler      {p50 * 1000:7.1f} / {p99 * 1000:7.1f} ms")
    print(
        f"  raw AWS calls (2 Put, Publish, Update) {a50 * 1000:5.1f} / {a99 * 1000:7.1f} ms"
        f"   ratio {p50 / a50:.2f} / {p99 / a99:.2f}  (aim <= 2)"
    )
    print(f"  raw AWS calls + GitHub permission  {g50 * 1000:7.1f} / {g99 * 1000:7.1f} ms"
          f"   ratio {p50 / g50:.2f} / {p99 / g99:.2f}")  # fmt: skip
    print(f"peak RSS after {args.deliveries} deliveries: {served['peak_mb']:.1f} MB (aim <= 128)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
