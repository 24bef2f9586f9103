"""The record of a detached `bzzz local up`: server pids and the env, in .bzzz/local.json."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.local_backend.errors import LocalBackendError

if TYPE_CHECKING:
    from infra.local_backend.servers import ServerProcess

# Substrings of a server's command line; a pid whose command line has none of
# them was reused by another process and must not be signalled.
_SERVER_MARKERS = ("moto.server", "local_backend.moto_server", "DynamoDBLocal")


def state_file() -> Path:
    """BZZZ_STATE_DIR (default .bzzz in the working directory) / local.json."""
    return Path(os.environ.get("BZZZ_STATE_DIR") or ".bzzz") / "local.json"


def save(servers: Iterable[ServerProcess], env: Mapping[str, str], stack: str) -> Path:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "stack": stack,
        "servers": [
            {"name": s.name, "pid": s.pid, "url": s.url, "log": str(s.log_path)} for s in servers
        ],
        "env": dict(env),
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def load() -> dict[str, Any]:
    path = state_file()
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocalBackendError(
            f"no detached local stack ({path} not found); run `bzzz local up --detach`"
        ) from None
    except (OSError, ValueError) as exc:
        raise LocalBackendError(f"cannot read {path}: {exc}") from exc
    return record


def _is_our_server(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return any(marker in command for marker in _SERVER_MARKERS)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_our_server(pid):
            return True
        time.sleep(0.1)
    return False


def stop_detached() -> list[str]:
    """Stop the recorded servers (terminate, then kill) and remove the record."""
    record = load()
    stopped: list[str] = []
    for server in record.get("servers", []):
        pid = int(server["pid"])
        if not _is_our_server(pid):
            continue
        os.kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, 5.0):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5.0)
        stopped.append(f"{server['name']} (pid {pid})")
    state_file().unlink(missing_ok=True)
    return stopped
