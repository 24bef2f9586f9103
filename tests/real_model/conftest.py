"""The real-model lane (`make test-real-model` names this folder; the default suite and CI
leave it out: its first run downloads about 0.5 GB of weights, and a real model on CPU
takes minutes). Its tests run a real small model, Qwen2.5-Coder-0.5B-Instruct, on
xllamacpp's llama.cpp server (infra/model_server), on the whole local stack. Every test
here is marked `real_model` and `e2e`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.model_server import DEFAULT_MODEL, ModelServer, start_model_server
from tests.fixtures.tiers import mark_tier


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, Path(__file__).parent, "real_model", "e2e")


@pytest.fixture(scope="session")
def model_server() -> Iterator[ModelServer]:
    """The real model behind the OpenAI-compatible API, for the whole session; installed and
    fetched into .bzzz on first use, stopped after the last test (and with this process)."""
    server = start_model_server(DEFAULT_MODEL, tied=True)
    try:
        yield server
    finally:
        server.stop()
