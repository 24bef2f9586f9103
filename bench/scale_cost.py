"""The cost of a task, from the requests bench/scale.py counted, at AWS list prices.

Prices: us-east-1, on-demand list prices as published by AWS and known on 2026-12-03
(not fetched by this script; this machine has no route to aws.amazon.com):

    DynamoDB on-demand   $0.625 per million write request units, $0.125 per million read units
    SQS FIFO             $0.50 per million requests (each up to 64 KB)
    SNS FIFO topic       $0.30 per million publishes (payload data charge of $0.017/GB not
                         counted: our envelopes are < 2 KB), $0.01 per million deliveries to SQS
    Lambda (arm64)       $0.20 per million requests (duration not measured here: not counted)
    API Gateway HTTP API $1.00 per million requests

Units: one DynamoDB write request = one WRU (items under 1 KB), one read request = one
RRU (under 4 KB, strongly consistent); a transaction counts two per request. Writes to
the tasks table also update its global secondary indexes (by-state, by-repo), each a WRU
more: the upper bound counts every write three times. Lambda and API Gateway requests
are inferred, not counted: one HTTP API request and one invocation per webhook delivery,
one invocation per status/escalation message (SQS batches make it fewer).
"""

from __future__ import annotations

from typing import Any

PRICES_DATE = "2026-12-03 (us-east-1 list prices, see bench/scale_cost.py)"
DDB_WRITE, DDB_READ = 0.625e-6, 0.125e-6
SQS_REQUEST, SNS_PUBLISH, SNS_DELIVERY = 0.50e-6, 0.30e-6, 0.01e-6
LAMBDA_REQUEST, HTTP_API_REQUEST = 0.20e-6, 1.00e-6
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
TRANSACTIONS = {"TransactWriteItems", "TransactGetItems"}
# Subscriptions of the template that receive task messages: work (task.available only),
# status (every task.*), escalation (hmmm.* and escalations).
SQS_PER_PUBLISH = 1.3


def _by_service(aws: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, count in aws.items():
        service = name.split(".", 1)[0]
        out[service] = out.get(service, 0) + count
    return out


def dollars(report: dict[str, Any]) -> dict[str, float]:
    aws: dict[str, int] = report["aws_requests"]
    op = {
        name.split(".", 1)[1]: count for name, count in aws.items() if name.startswith("dynamodb.")
    }
    writes = sum(c for o, c in op.items() if o in WRITES)
    writes += 2 * op.get("TransactWriteItems", 0)
    reads = sum(c for o, c in op.items() if o in READS) + 2 * op.get("TransactGetItems", 0)
    services = _by_service(aws)
    publishes = aws.get("sns.Publish", 0)
    deliveries = report["deliveries"]
    lambdas = deliveries + publishes  # upper bound: one invocation per consumed message
    low = {
        "dynamodb": writes * DDB_WRITE + reads * DDB_READ,
        "sqs": services.get("sqs", 0) * SQS_REQUEST,
        "sns": publishes * SNS_PUBLISH + publishes * SQS_PER_PUBLISH * SNS_DELIVERY,
        "lambda": lambdas * LAMBDA_REQUEST,
        "http_api": deliveries * HTTP_API_REQUEST,
    }
    high = dict(low, dynamodb=3 * writes * DDB_WRITE + reads * DDB_READ)
    per_k = 1000 / max(1, report["tasks"])
    return {
        "low": sum(low.values()) * per_k, "high": sum(high.values()) * per_k,
        **{f"{k}": v * per_k for k, v in low.items()},
        "wru": writes, "rru": reads,
    }  # fmt: skip


def cost_lines(report: dict[str, Any]) -> list[str]:
    n = max(1, report["tasks"])
    aws: dict[str, int] = report["aws_requests"]
    total = sum(aws.values())
    idle = report["idle_receives"]
    lines = [f"AWS requests counted (control plane + runners): {total} = {total / n:.1f} per task "
             "(aim <= 30)",
             f"  of which {idle} ReceiveMessage found nothing (idle polls, growing with runners x "
             f"time, {idle / max(1.0, report['runner_seconds']) * 3600:.0f} per runner-hour here); "
             f"without them {(total - idle) / n:.1f} per task"]  # fmt: skip
    for service, count in sorted(_by_service(aws).items(), key=lambda x: -x[1]):
        lines.append(f"  {service:<10} {count:>9}  {count / n:6.2f}/task")
    for name, count in sorted(aws.items(), key=lambda x: -x[1])[:14]:
        lines.append(f"    {name:<36} {count:>9}  {count / n:6.2f}/task")
    lines.append("  DynamoDB by table:")
    for name, count in sorted(report["dynamodb_by_table"].items(), key=lambda x: -x[1])[:12]:
        lines.append(f"    {name:<36} {count:>9}  {count / n:6.2f}/task")
    lines.append("  tasks.UpdateItem by what it sets:")
    for name, count in sorted(report.get("task_writes", {}).items(), key=lambda x: -x[1])[:10]:
        lines.append(f"    {name[:52]:<52} {count:>8}  {count / n:6.2f}/task")
    gh, limited = report["github_total"], report["github_rate_limited"]
    lines.append(f"GitHub requests: {gh} = {gh / n:.1f} per task; spending rate limit: {limited} "
                 f"= {limited / n:.1f} per task (aim <= 15)")  # fmt: skip
    for name, count in sorted(report["github_requests"].items(), key=lambda x: -x[1])[:14]:
        lines.append(f"    {name:<52} {count:>8}  {count / n:6.2f}/task")
    publishes = aws.get("sns.Publish", 0)
    lines.append(f"SNS publishes: {publishes} ({publishes / n:.1f}/task); SQS requests: "
                 f"{_by_service(aws).get('sqs', 0)}")  # fmt: skip
    d = dollars(report)
    lines.append(f"dollars per 1,000 tasks at {PRICES_DATE}: ${d['low']:.4f} "
                 f"(writes x3 for the GSIs: ${d['high']:.4f})")  # fmt: skip
    parts = ("dynamodb", "sqs", "sns", "lambda", "http_api")
    lines.append("  " + ", ".join(f"{k} ${d[k]:.4f}" for k in parts)
                 + f"; {d['wru'] / n:.1f} WRU and {d['rru'] / n:.1f} RRU per task")  # fmt: skip
    return lines
