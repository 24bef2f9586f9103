"""The LocalStack launcher: its pair serves the suite, and dies with it, also when killed.

These tests start LocalStack itself (Python 3.13; installed into .bzzz on first
use), so they run in `make test-localstack`, not in the default suite
(tests/conftest.py leaves this folder out unless it is named).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.fixtures.polling import wait_until

REPO = Path(__file__).resolve().parents[2]

# The command the launcher runs: report the endpoints and its pid, then wait.
_REPORT = (
    "import json, os, time; print(json.dumps({'pid': os.getpid(), "
    "'localstack': os.environ['AWS_ENDPOINT_URL'], "
    "'dynamodb': os.environ['AWS_ENDPOINT_URL_DYNAMODB']}), flush=True); time.sleep(600)"
)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_the_pair_stops_when_the_launcher_is_killed():
    launcher = subprocess.Popen(
        [sys.executable, "-m", "infra.local_backend.localstack_run", "run", "--",
         sys.executable, "-c", _REPORT],
        cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")},
    )  # fmt: skip
    try:
        assert launcher.stdout is not None
        report = json.loads(launcher.stdout.readline())
        health = f"{report['localstack']}/_localstack/health"
        with urllib.request.urlopen(health, timeout=5) as reply:
            services = json.load(reply)["services"]
        assert {services[s] for s in ("sns", "sqs", "sts", "events", "scheduler")} <= {
            "available",
            "running",
        }
        assert services["dynamodb"] == "disabled"  # DynamoDB is DynamoDB Local's
        assert answers(report["dynamodb"])
        os.kill(launcher.pid, signal.SIGKILL)  # no atexit, no finally
        launcher.wait(10)
        wait_until(lambda: not answers(health), "LocalStack to stop", timeout=60)
        wait_until(lambda: not answers(report["dynamodb"]), "DynamoDB Local to stop", 60)
        wait_until(lambda: not running(report["pid"]), "the command to stop", 60)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
