"""The integration tier: real local servers over real sockets (moto server, DynamoDB Local,
the container engine, the GitHub and Ollama stand-ins, git). Every test here is marked
`integration`; fixtures come from tests/fixtures/ (see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.tiers import mark_tier


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, Path(__file__).parent, "integration")
