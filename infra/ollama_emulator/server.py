"""Running the stand-in under uvicorn: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from infra.ollama_emulator.app import create_app
from infra.ollama_emulator.exchange import quiet_cut_offs
from infra.ollama_emulator.scenario import Scenario, load_scenario
from infra.ollama_emulator.state import EmulatorState

_STARTUP_TIMEOUT_S = 10.0


def as_scenario(scenario: Scenario | dict[str, Any] | str | Path) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return Scenario.from_dict(scenario)
    return load_scenario(scenario)


class RunningEmulator:
    """A stand-in serving on loopback; `base_url` is what `ollama.Client(host=...)` takes."""

    def __init__(
        self, server: uvicorn.Server, thread: threading.Thread, port: int, state: EmulatorState
    ) -> None:
        self._server = server
        self._state = state
        self._thread = thread
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.base_url = f"http://127.0.0.1:{port}"

    # In-process shortcuts to what /_emulator/scenario and /_emulator/requests serve over HTTP.
    def set_scenario(self, scenario: Scenario | dict[str, Any] | str | Path) -> None:
        """Replace the scenario; progress, loaded models and the log start afresh."""
        self._state.replace(as_scenario(scenario))

    def requests(self) -> list[dict[str, Any]]:
        """Every Ollama API exchange so far (see state.RequestLog for the record's fields)."""
        return self._state.log.all()

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
    # After uvicorn configured its loggers; a filter is added once however often.
    logging.getLogger("uvicorn.error").addFilter(quiet_cut_offs)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="ollama-emulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        sock.close()
        raise RuntimeError("the Ollama emulator did not start")
    return RunningEmulator(server, thread, sock.getsockname()[1], app.state.emulator)


def serve_forever(scenario_path: str | Path, host: str = "127.0.0.1", port: int = 11434) -> None:
    """The CLI's foreground server; Ctrl-C stops it."""
    app = create_app(load_scenario(scenario_path))
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")
