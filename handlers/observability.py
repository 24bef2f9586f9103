"""Structured logs and CloudWatch metrics for every Lambda entry point, made on first use.

Powertools' Logger writes one JSON object per line; `bind()` adds the task key
and the webhook delivery id so that every later line of the invocation carries
them. Metrics go out in CloudWatch embedded metric format (EMF): a JSON log
line that CloudWatch turns into metrics, so publishing costs no API call.
`flush()` writes the invocation's metrics; call it in `finally`.

Nothing is created at import time: Powertools is imported by the first call,
so a handler that never logs pays nothing for it.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

NAMESPACE = "Bzzz"

# Metric names, in one place so dashboards and alarms can rely on them.
DELIVERIES = "WebhookDeliveries"
TASKS_CREATED = "TasksCreated"
TASKS_CANCELLED = "TasksCancelled"
TASKS_REQUEUED = "TasksRequeued"
TASKS_FAILED = "TasksFailedByReconcile"
CLAIMS_REPORTED = "ClaimsReported"
STATUS_REPORTED = "StatusReported"
HIVE_FAILURES = "HiveReportFailures"
SYNC_FAILURES = "StatusSyncFailures"
SYNC_DEAD_LETTERED = "StatusSyncDeadLettered"
RECONCILE_REPOS = "ReconcileRepos"
RECONCILE_UNCHANGED = "ReconcileReposUnchanged"
RECONCILE_RATE_LIMITED = "ReconcileRateLimited"


@cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "bzzz"))


@cache
def metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    return Metrics(namespace=namespace, service=os.environ.get("POWERTOOLS_SERVICE_NAME", "bzzz"))


@cache
def adopt_library_logs() -> None:
    """Send the `bzzz.*` loggers through Powertools' JSON handler, bound keys included (once)."""
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    copy_config_to_registered_loggers(source_logger=logger(), include={"bzzz"})


def bind(*, task: str | None = None, delivery: str | None = None, **keys: Any) -> None:
    """Put `task`, `delivery` and any other keys on every following log line."""
    values = {"task": task, "delivery": delivery, **keys}
    logger().append_keys(**{k: v for k, v in values.items() if v is not None})


def unbind(*names: str) -> None:
    """Drop keys bound by `bind()` (for example between the records of one batch)."""
    logger().remove_keys(list(names))


def count(name: str, value: float = 1) -> None:
    """Add `value` to the counter `name` of this invocation."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush() -> None:
    """Write this invocation's metrics as one EMF line (nothing when none were counted)."""
    instance = metrics()
    if instance.metric_set:
        instance.flush_metrics()
