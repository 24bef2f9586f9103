"""AWS clients, made on first use and cached.

Every client takes its endpoint from the settings (`AWS_ENDPOINT_URL`), so the
same code talks to AWS, moto server, DynamoDB Local or LocalStack unchanged.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from bzzz.config import Settings

# Adaptive retries absorb throttling; a pool larger than the default 10 keeps
# concurrent claimers from queueing on connections.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=64)

_lock = threading.Lock()
_clients: dict[tuple[str, str, str | None], Any] = {}


def client(service: str, settings: Settings) -> Any:
    """A cached boto3 client for `service` at the settings' region and endpoint."""
    cache_key = (service, settings.region, settings.endpoint_url(service))
    found = _clients.get(cache_key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(cache_key)
        if found is None:
            found = boto3.session.Session().client(
                service,  # type: ignore[call-overload]
                region_name=settings.region,
                endpoint_url=settings.endpoint_url(service),
                config=_CLIENT_CONFIG,
            )
            _clients[cache_key] = found
        return found
