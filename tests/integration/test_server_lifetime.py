"""Servers started `tied` die with the process that started them, even on SIGKILL.

atexit does not run when a process is killed outright; the LocalStack lane's
servers are tied to their launcher by the kernel (PR_SET_PDEATHSIG), and a
stopped server takes its whole process group with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local_backend.servers import free_port, start_server
from tests.fixtures.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.dynamodb_local]

REPO = Path(__file__).resolve().parents[2]

_PARENT = """
import sys, time
from infra.local_backend.servers import start_dynamodb_local
server = start_dynamodb_local(tied=True)
print(server.pid, flush=True)
time.sleep(600)
"""


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, waiting for its (dead) parent's reaper


def test_a_tied_server_dies_when_its_parent_is_killed(tmp_path: Path):
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line.strip(), "the parent did not start DynamoDB Local"
        server = int(line)
        assert not gone(server)
        os.kill(parent.pid, signal.SIGKILL)  # no atexit, no finally
        parent.wait(10)
        wait_until(lambda: gone(server), f"DynamoDB Local (pid {server}) to exit", timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


_PODMAN_PARENT = """
import sys, time
from pathlib import Path
from infra.container_engine.podman import PodmanService
service = PodmanService.start(Path(sys.argv[1]) / "podman.sock")
print(service.process.pid, flush=True)
time.sleep(600)
"""


def test_podmans_service_dies_when_the_process_that_started_it_is_killed():
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bzzz-pdeath-"))  # short: a socket path < 108
    parent = subprocess.Popen(
        [sys.executable, "-c", _PODMAN_PARENT, str(folder)], cwd=REPO, stdout=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line.strip(), "the parent did not start Podman's service"
        service = int(line)
        assert not gone(service)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        wait_until(lambda: gone(service), f"Podman's service (pid {service}) to exit", timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


# A "server" with a child of its own, which a plain terminate of the server would leave.
_SERVER_WITH_CHILD = """
import subprocess, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
subprocess.Popen(["sleep", "600"])
HTTPServer(("127.0.0.1", int(sys.argv[1])), BaseHTTPRequestHandler).serve_forever()
"""


def test_stopping_a_server_ends_its_process_group():
    port = free_port()
    server = start_server(
        "group", [sys.executable, "-c", _SERVER_WITH_CHILD, str(port)], port, None
    )
    group = os.getpgid(server.pid)
    members = [int(p) for p in os.listdir("/proc") if p.isdigit() and _pgid(int(p)) == group]
    assert len(members) >= 2  # the server and its sleep
    server.stop()
    wait_until(lambda: all(gone(pid) for pid in members), "the server's group to exit", 30)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_dynamodb_local_writes_its_metadata_beside_its_log_not_into_the_callers_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import boto3

    from infra.local_backend.servers import start_dynamodb_local

    caller = tmp_path / "checkout"
    caller.mkdir()
    monkeypatch.chdir(caller)
    server = start_dynamodb_local(tmp_path / "logs")
    try:
        client = boto3.client(
            "dynamodb", endpoint_url=server.url, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        client.create_table(
            TableName="tasks", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        )  # fmt: skip
        assert client.list_tables()["TableNames"] == ["tasks"]
    finally:
        server.stop()
    assert list(caller.iterdir()) == []
    assert list((tmp_path / "logs").glob("bzzz-dynamodb-local-*/dynamodb-local-metadata.json"))


# Started from a thread that ends at once (PR_SET_PDEATHSIG would fire then), then the
# starter lives on; or detached, then the starter exits.
_STARTER = """
import sys, threading, time
from infra.local_backend.servers import start_moto
found = []
starter = threading.Thread(target=lambda: found.append(start_moto()))
starter.start(); starter.join()
server = found[0]
if sys.argv[1] == "detach":
    server.detach()
print(server.pid, flush=True)
if sys.argv[1] == "detach":
    sys.exit(0)
time.sleep(600)
"""


def _start_starter(mode: str) -> tuple[subprocess.Popen[str], int]:
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER, mode], cwd=REPO, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert starter.stdout is not None
    line = starter.stdout.readline()
    assert line.strip(), "the starter did not start moto"
    return starter, int(line)


def test_a_server_outlives_the_thread_that_started_it_and_dies_with_its_process():
    """Every server runs tethered (infra/local_backend/tether.py): killing the starting
    process with SIGKILL (no atexit, no finally) stops it; the thread that started it
    ending does not (that killed DynamoDB Local mid-run when PR_SET_PDEATHSIG tied it)."""
    starter, server = _start_starter("keep")
    try:
        assert not gone(server)
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait(10)
        wait_until(lambda: gone(server), f"the moto server (pid {server}) to exit", timeout=30)
    finally:
        if not gone(server):
            os.killpg(server, signal.SIGKILL)


def test_a_detached_server_outlives_its_starter():
    starter, server = _start_starter("detach")
    try:
        assert starter.wait(30) == 0
        assert not gone(server)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server, signal.SIGKILL)
        wait_until(lambda: gone(server), "the detached server to be killed", timeout=30)
