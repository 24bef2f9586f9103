"""Lambda entry point of the HTTP API (API Gateway HTTP API, payload v2, through Mangum).

Importing this module imports Starlette and Mangum only. boto3, PynamoDB,
jsonschema, githubkit and Powertools load on the first request that needs
them (`bench/webhook.py` measures both costs), so the import stays light.
"""

from __future__ import annotations

import logging
from typing import Any

from mangum import Mangum

from handlers import snapstart
from handlers.http_app import create_app

app = create_app()
_asgi = Mangum(app, lifespan="off")

# What a SnapStart snapshot is primed with (handlers/snapstart.py): the modules and
# clients the first invocation would otherwise load and make.
SNAPSHOT_MODULES = (
    "handlers.http_app.services",
    "bzzz.intake.handling",
    "bzzz.bus",
    "bzzz.secrets",
    "bzzz.hive.server",
    "bzzz.github.client",
    "githubkit",
    "jsonschema",
    "aws_lambda_powertools.logging.utils",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
)
SNAPSHOT_CLIENTS = ("dynamodb", "sns", "secretsmanager")
snapstart.prime_on_snapshot(SNAPSHOT_MODULES, SNAPSHOT_CLIENTS)
_logging_ready = False


def _route_logs_through_powertools() -> None:
    """Give the bzzz.* loggers Powertools' JSON handler, bound keys included (once)."""
    global _logging_ready
    if _logging_ready:
        return
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    from handlers import observability as obs

    # Powertools copies its config to registered top-level loggers only; the
    # bzzz.* modules log through children that are created later, on first use.
    logging.getLogger("bzzz")
    copy_config_to_registered_loggers(source_logger=obs.logger(), include={"bzzz"})
    _logging_ready = True


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _route_logs_through_powertools()
    from handlers import observability as obs

    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        obs.bind(request_id=request_id)
    reply: dict[str, Any] = _asgi(event, context)
    return reply
