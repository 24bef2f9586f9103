"""LocalStack in host mode (no Docker) paired with DynamoDB Local, as users run Bzzz on it.

LocalStack serves SNS, SQS, STS, EventBridge and Scheduler; its own DynamoDB
downloads a jar when it starts and cannot run offline, so DynamoDB is AWS's
DynamoDB Local, given to clients through AWS_ENDPOINT_URL_DYNAMODB. Both bind
free loopback ports, keep their files under .bzzz/localstack, and are tied to
this process: they stop when it stops, and when it is killed (lifetime.py).

LocalStack runs the repository's own init hook (localstack/init/ready.d), so
the hook's path, `python -m infra.local_backend.provision`, is exercised on
every start: it creates the template's resources for stack BZZZ_STACK.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from infra.local_backend.clients import DEFAULT_REGION, aws_environment
from infra.local_backend.errors import ServerError
from infra.local_backend.localstack_venv import ensure_installed
from infra.local_backend.servers import (
    ServerProcess,
    free_port,
    start_dynamodb_local,
    start_server,
)

REPOSITORY = Path(__file__).resolve().parents[2]
HOOKS = REPOSITORY / "localstack" / "init" / "ready.d"
SERVICES = ("sns", "sqs", "sts", "events", "scheduler", "s3")  # s3: decision records
# A cold start imports every provider and runs the init hook; a busy machine is slow.
START_TIMEOUT_SECONDS = 180.0
_READY_STATES = {"available", "running"}


def state_root() -> Path:
    """BZZZ_STATE_DIR (default .bzzz in the working directory) / localstack."""
    return Path(os.environ.get("BZZZ_STATE_DIR") or ".bzzz").resolve() / "localstack"


def _get_json(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 - our loopback URL
            parsed = json.load(reply)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _ready(url: str) -> bool:
    """Every service up and the ready-stage init hooks finished."""
    health = _get_json(f"{url}/_localstack/health")
    if health is None:
        return False
    services = health.get("services")
    if not isinstance(services, dict):
        return False
    if any(services.get(name) not in _READY_STATES for name in SERVICES):
        return False
    init = _get_json(f"{url}/_localstack/init/ready")
    return bool(init and init.get("completed"))


def failed_hooks(url: str) -> list[str]:
    """Names of init hooks that did not succeed."""
    init = _get_json(f"{url}/_localstack/init") or {}
    scripts = init.get("scripts")
    listed = scripts if isinstance(scripts, list) else []
    return [str(s.get("name")) for s in listed if s.get("state") != "SUCCESSFUL"]


def _environment(
    root: Path, port: int, python: Path, dynamodb_url: str, stack: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    tmp = root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            # Host mode even inside a container (a CI job, a dev container): else
            # LocalStack takes /etc/localstack, /var/lib/localstack and resolv.conf.
            "OVERRIDE_IN_DOCKER": "0",
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "LOCALSTACK_HOST": f"127.0.0.1:{port}",
            "SERVICES": ",".join(SERVICES),
            "EAGER_SERVICE_LOADING": "1",
            # Offline and quiet: no DNS server, no analytics, no certificate download.
            "DNS_ADDRESS": "0",
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "SQS_ENDPOINT_STRATEGY": "path",
            "FILESYSTEM_ROOT": str(root / "filesystem"),
            "TMPDIR": str(tmp),
            # Read by the init hook (localstack/init/ready.d/10-bzzz.sh).
            "BZZZ_REPO": str(REPOSITORY),
            "BZZZ_HOOK_PYTHON": str(python),
            "BZZZ_LOCALSTACK_URL": f"http://127.0.0.1:{port}",
            "BZZZ_DYNAMODB_URL": dynamodb_url,
            "BZZZ_STACK": stack,
            "AWS_DEFAULT_REGION": env.get("AWS_REGION") or DEFAULT_REGION,
        }
    )
    return env


def _install_hooks(root: Path) -> None:
    # Host mode reads hooks from FILESYSTEM_ROOT/etc/localstack/init, as the
    # container does from /etc/localstack/init (compose mounts the same folder).
    target = root / "filesystem" / "etc" / "localstack" / "init" / "ready.d"
    shutil.copytree(HOOKS, target, dirs_exist_ok=True)


def start_localstack(
    root: Path, dynamodb_url: str, stack: str = "bzzz-local", python: Path | None = None
) -> ServerProcess:
    """LocalStack on a free loopback port, tied to this process; waits for its hooks."""
    python = python or ensure_installed(root)
    port = free_port()
    _install_hooks(root)
    env = _environment(root, port, python, dynamodb_url, stack)
    command = [str(python), "-m", "localstack.runtime.main"]
    server = start_server(
        "localstack",
        command,
        port,
        root / "logs",
        env=env,
        ready=_ready,
        tied=True,
        timeout=START_TIMEOUT_SECONDS,
    )
    failed = failed_hooks(server.url)
    if failed:
        server.stop()
        raise ServerError(f"LocalStack init hooks failed: {failed} (log {server.log_path})")
    return server


@contextlib.contextmanager
def localstack_pair(
    stack: str = "bzzz-local", root: Path | None = None
) -> Iterator[dict[str, str]]:
    """Start DynamoDB Local and LocalStack; yield the AWS_* environment; stop both."""
    root = root or state_root()
    python = ensure_installed(root)  # before any server starts: it may take minutes
    dynamodb = start_dynamodb_local(root / "logs", tied=True)
    try:
        localstack = start_localstack(root, dynamodb.url, stack, python)
        try:
            region = os.environ.get("AWS_REGION") or DEFAULT_REGION
            yield aws_environment(localstack.url, region, dynamodb.url)
        finally:
            localstack.stop()
    finally:
        dynamodb.stop()
