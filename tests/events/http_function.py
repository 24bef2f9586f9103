"""The HTTP function as Lambda runs it, against the test's stack and the GitHub stand-in.

`http_function` points the process environment at the test's stack (moto
server) and the stand-in (alice's token), and resets the entry module's
services so that nothing carries over from the previous test.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.events.http_api import FIXTURE_SECRET

if TYPE_CHECKING:
    from bzzz.config import Settings
    from tests.fixtures.github import GitHubHandle

API_KEY = "test-api-key"


@dataclass
class HttpFunction:
    invoke_raw: Callable[[dict[str, Any], Any], dict[str, Any]]
    settings: Settings
    github: GitHubHandle
    calls: int = 0

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        context = types.SimpleNamespace(
            aws_request_id=f"req-{self.calls}", function_name="bzzz-http", memory_limit_in_mb=256
        )
        return self.invoke_raw(event, context)


def point_environment(
    monkeypatch: pytest.MonkeyPatch, github: GitHubHandle, secret: str = FIXTURE_SECRET
) -> None:
    from bzzz.config import get_settings

    monkeypatch.setenv("BZZZ_WEBHOOK_SECRET", secret)
    monkeypatch.setenv("BZZZ_API_KEY", API_KEY)
    monkeypatch.setenv("GITHUB_TOKEN", github.tokens["alice"])
    monkeypatch.setenv("GITHUB_API_URL", github.base_url)
    get_settings.cache_clear()


@pytest.fixture
def http_function(
    aws_environ: dict[str, str],
    aws_settings: Settings,
    github: GitHubHandle,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[HttpFunction]:
    import handlers.http as entry
    from bzzz.config import get_settings
    from handlers.http_app.services import LazyServices

    point_environment(monkeypatch, github)
    entry.app.state.services = LazyServices()
    yield HttpFunction(entry.handler, get_settings(), github)
    entry.app.state.services = LazyServices()
    get_settings.cache_clear()


@dataclass
class ServedApp:
    url: str
    services: Any
    stop: Callable[[], None]


@pytest.fixture
def served_app(aws_settings: Settings, github: GitHubHandle) -> Iterator[ServedApp]:
    """The same app under uvicorn on a loopback port, its services built for this test."""
    import threading
    import time

    import uvicorn

    from handlers.http_app import Services, create_app
    from infra.github_emulator.server import free_port

    environ = {
        "BZZZ_WEBHOOK_SECRET": FIXTURE_SECRET,
        "BZZZ_API_KEY": API_KEY,
        "GITHUB_TOKEN": github.tokens["alice"],
    }
    settings = aws_settings.with_overrides(github_api_url=github.base_url)
    services = Services.build(settings, environ)
    port = free_port()
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    yield ServedApp(f"http://127.0.0.1:{port}", services, stop)
    stop()
