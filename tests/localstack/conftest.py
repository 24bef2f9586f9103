"""The LocalStack lane (`make test-localstack` names this folder; the default suite leaves it
out): its tests start LocalStack itself. Every test here is marked `localstack` and
`integration`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.tiers import mark_tier


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, Path(__file__).parent, "localstack", "integration")
