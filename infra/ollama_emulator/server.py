"""Running the stand-in: under uvicorn in a background thread (tests), or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from infra.ollama_emulator.app import ADMIN_PREFIX, create_app
from infra.ollama_emulator.scenario import Scenario, load_scenario

_STARTUP_TIMEOUT_S = 10.0


def as_scenario(scenario: Scenario | dict[str, Any] | str | Path) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    return load_scenario(scenario)


class RunningEmulator:
    """A stand-in serving on loopback; `base_url` is what `ollama.Client(host=...)` takes."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
        self._server = server
        self._thread = thread
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.base_url = f"http://127.0.0.1:{port}"

    def set_scenario(self, scenario: Scenario | dict[str, Any] | str | Path) -> None:
        """Replace the scenario over HTTP; progress, loaded models and the log start afresh."""
        data = as_scenario(scenario).source
        response = httpx.put(f"{self.base_url}{ADMIN_PREFIX}/scenario", json=data)
        response.raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        """Every Ollama API exchange so far (see state.RequestLog for the record's fields)."""
        response = httpx.get(f"{self.base_url}{ADMIN_PREFIX}/requests")
        response.raise_for_status()
        records: list[dict[str, Any]] = response.json()["requests"]
        return records

    def clear_requests(self) -> None:
        httpx.delete(f"{self.base_url}{ADMIN_PREFIX}/requests").raise_for_status()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=_STARTUP_TIMEOUT_S)

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_in_thread(
    scenario: Scenario | dict[str, Any] | str | Path, port: int = 0
) -> RunningEmulator:
    """Serve `scenario` on 127.0.0.1 (a free port unless given) until `.stop()`."""
    app = create_app(as_scenario(scenario))
    # Bind first and hand uvicorn the socket: the port is known before it starts,
    # and no other process can take it in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        # Delayed replies are still sleeping at shutdown; do not wait them out.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="ollama-emulator", daemon=True
    )
    thread.start()
    started = threading.Event()
    for _ in range(int(_STARTUP_TIMEOUT_S / 0.01)):
        if server.started or not thread.is_alive():
            started.set()
            break
        started.wait(0.01)
    if not server.started:
        server.should_exit = True
        raise RuntimeError("the Ollama emulator did not start")
    return RunningEmulator(server, thread, sock.getsockname()[1])


def serve_forever(scenario_path: str | Path, host: str = "127.0.0.1", port: int = 11434) -> None:
    """The CLI's foreground server; Ctrl-C stops it."""
    app = create_app(load_scenario(scenario_path))
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")
