"""Lambda SnapStart: what each function's snapshot holds, and what a restore redoes.

With SnapStart (template.yaml), Lambda runs a function's initialisation once
when a version is published, snapshots the memory, and starts every new
execution environment from that snapshot instead of from scratch. Our entry
modules import little (the heavy parts load on first use, which keeps a
non-SnapStart cold start short), so without a hook the snapshot would miss
exactly what makes the first invocation slow. `prime_on_snapshot(modules,
clients)`, called by each entry module, registers a before-snapshot hook that
imports those modules and makes those boto3 clients (no request is sent:
connections made before a snapshot would be stale after a restore, and
secrets read then would be frozen into it).

After a restore, `random` is seeded again: every environment restored from
one snapshot would otherwise draw the same jitter (retries, backoff). Our
ids come from `uuid4`/`secrets` (os.urandom), which a restore does not repeat.

`snapshot_restore_py` ships with the Lambda Python runtimes only; elsewhere
(tests, local runs, the bench) there is no snapshot and nothing is registered.
See docs/deploy.md, "Cold starts and SnapStart".
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Sequence
from typing import Any


def prime(modules: Sequence[str], clients: Sequence[str]) -> None:
    """Import `modules` and make the boto3 `clients` (cached by bzzz.aws) without calling AWS."""
    for module in modules:
        importlib.import_module(module)
    if clients:
        from bzzz import aws
        from bzzz.config import get_settings

        settings = get_settings()
        for service in clients:
            aws.client(service, settings)


def reseed() -> None:
    """A restored environment must not replay the snapshot's random sequence."""
    random.seed()


def prime_on_snapshot(modules: Sequence[str], clients: Sequence[str], *, hooks: Any = None) -> bool:
    """Register the hooks; False when not running under a SnapStart-capable runtime.

    `hooks`: the runtime-hooks module (AWS's `snapshot_restore_py` by default).
    """
    if hooks is None:
        try:
            import snapshot_restore_py as hooks  # type: ignore[import-not-found, no-redef]
        except ImportError:
            return False
    hooks.register_before_snapshot(prime, tuple(modules), tuple(clients))
    hooks.register_after_restore(reseed)
    return True
