"""The end-to-end tier: the whole local stack — control plane, runner, sandbox, model
stand-in. Every test here is marked `e2e`. The runner fixtures are in
tests/fixtures/runner.py, the scenarios and waits in tests/fixtures/runner_scenario.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.tiers import mark_tier


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, Path(__file__).parent, "e2e")
