"""Which server answers at an AWS endpoint: moto, DynamoDB Local, LocalStack, or AWS.

For figures and reports that name their backend (bench/claims.py): the name
is read from the server's own answer, not assumed from how it was started,
so a DynamoDB Local behind AWS_ENDPOINT_URL_DYNAMODB is not called moto.
"""

from __future__ import annotations

import urllib.error
import urllib.request

_PROBE_TIMEOUT_SECONDS = 3.0


def _server_header(url: str) -> str | None:
    # An unsigned ListTables: every DynamoDB-speaking server answers it (with an
    # error, as it is unsigned), and the answer carries the server's header.
    request = urllib.request.Request(  # noqa: S310 - a local endpoint the caller names
        url,
        data=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=_PROBE_TIMEOUT_SECONDS) as reply:  # noqa: S310
            server = reply.headers.get("Server")
    except urllib.error.HTTPError as exc:
        server = exc.headers.get("Server")
    except (urllib.error.URLError, OSError):
        return None
    return str(server) if server is not None else None


def _is_localstack(url: str) -> bool:
    try:
        health = f"{url.rstrip('/')}/_localstack/health"
        with urllib.request.urlopen(health, timeout=_PROBE_TIMEOUT_SECONDS):  # noqa: S310
            return True
    except (urllib.error.URLError, OSError):
        return False


def identify(endpoint_url: str | None) -> str:
    """`moto`, `dynamodb-local`, `localstack`, `aws` (no endpoint) or `unknown (...)`."""
    if not endpoint_url:
        return "aws"
    server = _server_header(endpoint_url) or ""
    if server.startswith("Jetty"):
        return "dynamodb-local"
    if server.startswith("Werkzeug"):
        return "moto"
    if _is_localstack(endpoint_url):
        return "localstack"
    return f"unknown (server {server or 'not answering'})"
