"""Run a `GitHubEmulator` under uvicorn on a loopback port, in a background thread."""

from __future__ import annotations

import signal
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from infra.github_emulator.app import GitHubEmulator
from infra.github_emulator.errors import EmulatorError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningEmulator:
    emulator: GitHubEmulator
    base_url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.emulator.close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    emulator: GitHubEmulator, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Serve `emulator` until `stop()`; returns once the port accepts connections."""
    port = port or free_port(host)
    base_url = f"http://{host}:{port}"
    emulator.world.base_url = base_url
    config = uvicorn.Config(
        emulator.app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"github-emulator:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise EmulatorError(f"GitHub emulator did not start on {base_url}")
        time.sleep(0.02)
    return RunningEmulator(emulator, base_url, server, thread)


def serve_forever(
    seed: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> None:
    """Serve in the foreground until interrupted (the `bzzz github-emulator` command)."""
    emulator = GitHubEmulator.from_seed(seed)
    if webhook_url is not None:
        emulator.world.webhook.url = webhook_url
    if webhook_secret is not None:
        emulator.world.webhook.secret = webhook_secret
    running = start_in_thread(emulator, host=host, port=port)
    print(f"GitHub emulator on {running.base_url}", flush=True)
    for token in emulator.world.tokens.values():
        print(f"  token for {token.login}: {token.value}", flush=True)
    for repo in emulator.world.repos.values():
        print(f"  git clone {running.base_url}/{repo.full_name}.git", flush=True)

    def _interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGTERM stops the server as Ctrl-C does, so the bare repositories are removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while running._thread.is_alive():
            running._thread.join(timeout=0.5)
    finally:
        running.stop()
