"""SnapStart hooks: each entry module registers a priming hook whose modules all import.

The runtime-hooks module stand-in records registrations with the signature AWS
documents for `snapshot_restore_py` (register_before_snapshot(func, *args, **kwargs),
register_after_restore(func, *args, **kwargs)); the real one ships only inside the
Lambda Python runtimes.
"""

from __future__ import annotations

import importlib
import random
import sys
import types
from typing import Any

import pytest

from handlers import snapstart

ENTRY_MODULES = ["handlers.http", "handlers.reconcile", "handlers.status_sync",
                 "handlers.escalation"]  # fmt: skip


LAMBDA_ENV = {
    "BZZZ_TASKS_TABLE": "t", "BZZZ_AGENTS_TABLE": "a", "BZZZ_DELIVERIES_TABLE": "d",
    "BZZZ_REPOS_TABLE": "r", "BZZZ_THREADS_TABLE": "th", "BZZZ_AUDIT_TABLE": "au",
    "BZZZ_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:bus.fifo", "AWS_REGION": "us-east-1",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}  # fmt: skip


class Hooks:
    def __init__(self) -> None:
        self.before: list[tuple[Any, tuple[Any, ...]]] = []
        self.after: list[tuple[Any, tuple[Any, ...]]] = []

    def register_before_snapshot(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        self.before.append((func, args))
        return func

    def register_after_restore(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        self.after.append((func, args))
        return func


def test_nothing_is_registered_outside_lambda():
    assert "snapshot_restore_py" not in sys.modules
    assert snapstart.prime_on_snapshot(["json"], []) is False


@pytest.mark.parametrize("name", ENTRY_MODULES)
def test_every_entry_module_registers_a_priming_hook_on_import(name, monkeypatch):
    module = importlib.import_module(name)  # imported outside Lambda: nothing registered
    hooks = Hooks()
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", types.SimpleNamespace(
        register_before_snapshot=hooks.register_before_snapshot,
        register_after_restore=hooks.register_after_restore))  # fmt: skip
    module = importlib.reload(module)  # as the Lambda runtime imports it
    assert [func for func, _ in hooks.before] == [snapstart.prime]
    assert [func for func, _ in hooks.after] == [snapstart.reseed]
    modules, clients = hooks.before[0][1]
    assert modules == module.SNAPSHOT_MODULES and clients == module.SNAPSHOT_CLIENTS


@pytest.mark.parametrize("name", ENTRY_MODULES)
def test_what_a_snapshot_is_primed_with_imports_and_makes_clients(name, monkeypatch):
    """Run the hook as Lambda would before the snapshot: no module name is stale. Making a
    client sends nothing (the endpoint below answers nobody)."""
    for variable, value in LAMBDA_ENV.items():  # what template.yaml gives every function
        monkeypatch.setenv(variable, value)
    module = importlib.import_module(name)
    snapstart.prime(module.SNAPSHOT_MODULES, module.SNAPSHOT_CLIENTS)
    assert all(m in sys.modules for m in module.SNAPSHOT_MODULES)


def test_a_restore_does_not_replay_the_snapshot_random_sequence():
    random.seed(7)
    state = random.getstate()
    snapstart.reseed()
    assert random.getstate() != state
