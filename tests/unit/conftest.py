"""The unit tier: the code under test and in-process fakes of our own collaborators, nothing
else. Every test here is marked `unit`, and runs behind `UnitGuard`
(tests/fixtures/unit_guard.py) during its setup and its call: a connection, a bound port,
a child process or a real sleep fails the test, naming what it tried. A test that needs
one of them belongs in tests/integration.

`@pytest.mark.runs_tool("why")` lets a test start local command-line tools that open no
socket (lint-imports); the socket doors stay shut.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from tests.fixtures.tiers import mark_tier
from tests.fixtures.unit_guard import UNIT_GUARD, UnitGuard

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_tier(items, HERE, "unit")


def _guarded(item: pytest.Item) -> Generator[None, object, object]:
    # These hooks see every test of the session; only this tier's are guarded. Teardown
    # is left alone: the session's servers (started by other tiers) stop in the last test's.
    if not item.path.is_relative_to(HERE):
        return (yield)
    guard = UnitGuard(allow_processes=item.get_closest_marker("runs_tool") is not None)
    item.stash[UNIT_GUARD] = guard
    with guard.installed():
        result = yield
    if guard.violations:
        pytest.fail(
            "unit tier: this test reached outside the process: "
            + "; ".join(guard.violations)
            + " (move it to tests/integration, or inject what it waits for)",
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _guarded(item))
