"""Fixtures of the attack suite: planted canaries, a listening attacker, and the leak search.

    canaries            Canaries: the control plane's App key, and GITHUB_TOKEN and AWS keys
                        planted in os.environ for the test (minted tokens: `with_minted`)
    secure_runner_env   the e2e `runner_env` with the planted canaries in it too
    attacker            AttackerHost: a loopback HTTP server recording every request
    runner_logs         every log record of the test, formatted (tracebacks included)
    leak_places(state_dir, extra)
                        place name -> text, for every place an attacker could read after
                        a task: pushed refs and commits, issue and PR comments and bodies,
                        the task row, the bus (status and escalation queues: the
                        escalation payload's source), the runner's logs and trajectories,
                        and what the attacker host received; pass it to `leaks(...)`

The runner fixtures (`start_runner`, `create_task`, `runner_env`, `control_plane`)
are the e2e ones (tests/fixtures/runner.py, control_plane.py), so an attack runs
through the real runner, control plane, engine and stand-ins; the runner's tokens come
from the control plane.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.runner_scenario import REPO
from tests.fixtures.tiers import mark_tier
from tests.security.canaries import Canaries


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is marked `security` and `integration` (the attack suite runs at
    the integration level), so `-m security` runs it alone."""
    mark_tier(items, Path(__file__).parent, "security", "integration")


@pytest.fixture
def canaries(
    monkeypatch: pytest.MonkeyPatch,
    aws_env: dict[str, str],
    app_private_key: str,
) -> Canaries:
    # After aws_env: the session's dummy AWS keys are replaced by canaries for this test.
    planted = Canaries.make(app_private_key)
    for name, value in planted.environ().items():
        monkeypatch.setenv(name, value)
    return planted


@pytest.fixture
def secure_runner_env(runner_env: dict[str, str], canaries: Canaries) -> dict[str, str]:
    # GITHUB_TOKEN is ignored by a runner with a control plane: it stands for any host secret.
    return {**runner_env, **canaries.environ()}


@dataclass
class AttackerHost:
    """What a host of the attacker's choosing saw: (method, path, headers) per request."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def text(self) -> str:
        return json.dumps(self.requests)


@pytest.fixture
def attacker() -> Iterator[AttackerHost]:
    host = AttackerHost()

    class Record(BaseHTTPRequestHandler):
        def _any(self) -> None:
            host.requests.append((self.command, self.path, dict(self.headers.items())))
            # A challenge, so that a git client holding credentials would send them.
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield host
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def runner_logs() -> Iterator[list[str]]:
    root = logging.getLogger()
    handler, level = _Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def _pushed(github: Any, tmp: Path) -> str:
    """Every ref and every commit (messages and patches) on the stand-in's repository."""
    mirror = tmp / "mirror.git"
    subprocess.run(
        ["git", "clone", "-q", "--mirror", github.git_url(REPO), str(mirror)], check=True
    )
    git = ["git", "--git-dir", str(mirror)]
    refs = subprocess.run([*git, "show-ref"], capture_output=True, text=True).stdout
    log = subprocess.run(
        [*git, "log", "--all", "-p", "--binary", "--format=%H %an %ae%n%B"],
        capture_output=True, text=True, errors="replace",
    ).stdout  # fmt: skip
    return refs + log


def _ok(reply: Any) -> Any:
    assert reply.status_code == 200, f"{reply.request.url}: {reply.status_code}"
    return reply


@pytest.fixture
def leak_places(
    github: Any,
    aws_settings: Any,
    attacker: AttackerHost,
    runner_logs: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., dict[str, str]]:
    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Lifecycle

    def places(state_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        http = github.http(github.tokens["alice"])
        issues = _ok(http.get(f"/repos/{REPO}/issues", params={"state": "all"}))
        found = {
            "pushed refs": _pushed(github, tmp_path_factory.mktemp("pushed")),
            "issues and pull requests": issues.text,
            "comments": "\n".join(
                _ok(http.get(f"/repos/{REPO}/issues/{issue['number']}/comments")).text
                for issue in issues.json()
            ),
            "pull requests": _ok(http.get(f"/repos/{REPO}/pulls", params={"state": "all"})).text,
            "logs": "\n".join(runner_logs),
            "attacker host": attacker.text(),
        }
        task = Lifecycle(aws_settings).get(f"{REPO}#1")
        found["task row"] = json.dumps(task.attribute_values if task else {}, default=str)
        bus = Bus(aws_settings)
        for queue in ("status", "escalation"):
            seen = []
            while batch := bus.receive(queue, wait_seconds=0):
                seen += [json.dumps(m.envelope.data, default=str) for m in batch]
            found[f"bus ({queue})"] = "\n".join(seen)
        for path in sorted(Path(state_dir, "trajectories").glob("*")):
            found[f"trajectory {path.name}"] = path.read_text(errors="replace")
        return {**found, **(extra or {})}

    return places
