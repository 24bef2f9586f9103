"""Lambda entry point: an EventBridge Scheduler invocation → one reconcile poll.

The schedule's input (template.yaml) carries Scheduler's context attributes:
`schedule_arn`, `scheduled_time`, `execution_id`, `attempt`. The reply is the
run's summary; the counts also go out as metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers import observability as obs
from handlers import snapstart

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.reconcile.poll import Reconciler

_built: tuple[Settings, Reconciler] | None = None

# What a SnapStart snapshot is primed with (handlers/snapstart.py): the modules and
# clients the first invocation would otherwise load and make.
SNAPSHOT_MODULES = (
    "bzzz.reconcile.poll",
    "bzzz.github.client",
    "githubkit",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
)
SNAPSHOT_CLIENTS = ("dynamodb", "sns", "secretsmanager")
snapstart.prime_on_snapshot(SNAPSHOT_MODULES, SNAPSHOT_CLIENTS)

_METRICS = {
    "created": obs.TASKS_CREATED,
    "cancelled": obs.TASKS_CANCELLED,
    "requeued": obs.TASKS_REQUEUED,
    "failed": obs.TASKS_FAILED,
    "polled": obs.RECONCILE_REPOS,
    "unchanged": obs.RECONCILE_UNCHANGED,
}


def _reconciler() -> Reconciler:
    """Made on first use and kept while the settings are the same (a warm Lambda)."""
    global _built
    from bzzz.config import get_settings
    from bzzz.reconcile.poll import build_reconciler

    settings = get_settings()
    if _built is None or _built[0] is not settings:
        _built = (settings, build_reconciler(settings))
    return _built[1]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    obs.adopt_library_logs()
    obs.bind(execution=event.get("execution_id"), scheduled_time=event.get("scheduled_time"))
    try:
        summary = _reconciler().run().as_dict()
        for field, metric in _METRICS.items():
            if summary[field]:
                obs.count(metric, summary[field])
        if summary["rate_limited"]:
            obs.count(obs.RECONCILE_RATE_LIMITED)
        obs.logger().info("reconcile finished", extra={"summary": summary})
        return summary
    finally:
        obs.flush()
