"""A model request is cut off at the time it was given (the task's wall clock left), over
a real socket to a server that takes the request and never answers: a model host stuck
on a long generation. Without the per-request limit the request would wait the model's
own 600 s: the test's 60 s timeout fails it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from runner.agent.model import Model
from runner.errors import ModelUnavailableError


@pytest.fixture
def stalled() -> Iterator[str]:
    """A loopback HTTP server that reads requests and never answers; stopped after the test."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)  # read nothing back, answer nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("api", ["ollama", "openai"])
def test_a_request_is_cut_off_at_the_time_it_was_given(stalled: str, api: str):
    model = Model("qwen2.5-coder:0.5b", host=stalled, api=api, num_ctx=2048)
    assert model.timeout == 600.0  # the model's own limit: not what cuts this request
    with pytest.raises(ModelUnavailableError, match="Timeout"):
        model.chat([{"role": "user", "content": "hello"}], timeout=1.0)
