"""Everything the routes call, built once on first use from the settings and secrets.

Building touches boto3, PynamoDB and (later, on first GitHub call) githubkit,
so it happens on the first request that needs it, never at import.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.credentials import TokenVendor
    from bzzz.hive.server import HiveApi
    from bzzz.intake.handling import Intake
    from bzzz.secrets import SecretStore


@dataclass
class Services:
    settings: Settings
    secrets: SecretStore
    intake: Intake
    hive: HiveApi
    vendor: TokenVendor

    @classmethod
    def build(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> Services:
        from bzzz.bus import Bus
        from bzzz.credentials import TokenVendor
        from bzzz.hive.server import HiveApi
        from bzzz.intake.handling import Intake, github_factory
        from bzzz.secrets import SecretStore
        from bzzz.store.models import bind

        bind(settings)
        secrets = SecretStore(settings, environ)
        intake = Intake(
            settings, publisher=Bus(settings), github_factory=github_factory(settings, secrets)
        )
        hive = HiveApi(settings, intake.lifecycle)
        return cls(settings, secrets, intake, hive, TokenVendor(settings, secrets))


class LazyServices:
    """Builds `Services` on first `get()`; a failure is retried by the next request."""

    def __init__(self, services: Services | None = None) -> None:
        self._services = services
        self._lock = threading.Lock()

    def get(self) -> Services:
        if self._services is None:
            with self._lock:
                if self._services is None:
                    from bzzz.config import get_settings

                    self._services = Services.build(get_settings())
        return self._services
