"""What the operator decides about preparation containers (docs/runner.md).

BZZZ_SETUP_NETWORK       "on" (default): the engine's default network; "off": none,
                         setup installs from BZZZ_WHEELHOUSE; any other value: the
                         name of an engine network the operator made (e.g. one whose
                         only way out is a filtering proxy)
BZZZ_WHEELHOUSE          a host directory of wheels (`pip download -r ... -d DIR`),
                         mounted read-only at /wheelhouse when setup is offline
BZZZ_MAX_SETUP_SECONDS   most time all of a repository's setup steps may take (1800)
BZZZ_PREP_KEEP           prepared images kept; older `bzzz-prep:*` are removed (10)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bzzz.config import positive_number
from bzzz.errors import ConfigError

_NETWORK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class PrepareSettings:
    network: bool = True
    network_name: str | None = None  # None: the engine's default network
    wheelhouse: Path | None = None
    max_seconds: float = 1800.0
    keep: int = 10


def load_prepare_settings(env: Mapping[str, str]) -> PrepareSettings:
    raw_network = env.get("BZZZ_SETUP_NETWORK", "").strip()
    network = raw_network.lower()
    named = network not in ("", "on", "off", "1", "0", "true", "false", "yes", "no")
    if named and not _NETWORK_NAME.match(raw_network):
        raise ConfigError("BZZZ_SETUP_NETWORK", "must be on, off or an engine network's name")
    raw_wheelhouse = env.get("BZZZ_WHEELHOUSE", "").strip()
    wheelhouse = Path(raw_wheelhouse).absolute() if raw_wheelhouse else None
    if wheelhouse is not None and not wheelhouse.is_dir():
        raise ConfigError("BZZZ_WHEELHOUSE", "must be an existing directory")
    return PrepareSettings(
        network=network not in ("off", "0", "false", "no"),
        network_name=raw_network if named else None,
        wheelhouse=wheelhouse,
        max_seconds=positive_number(env, "BZZZ_MAX_SETUP_SECONDS", 1800.0),
        keep=int(positive_number(env, "BZZZ_PREP_KEEP", 10)),
    )
