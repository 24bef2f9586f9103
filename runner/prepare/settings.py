"""What the operator decides about preparation containers (docs/runner.md).

BZZZ_SETUP_NETWORK       "off": preparation containers get no network either; setup
                         installs from BZZZ_WHEELHOUSE (default on)
BZZZ_WHEELHOUSE          a host directory of wheels (`pip download -r ... -d DIR`),
                         mounted read-only at /wheelhouse when setup is offline
BZZZ_MAX_SETUP_SECONDS   most time all of a repository's setup steps may take (1800)
BZZZ_PREP_KEEP           prepared images kept; older `bzzz-prep:*` are removed (10)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bzzz.errors import ConfigError


@dataclass(frozen=True)
class PrepareSettings:
    network: bool = True
    wheelhouse: Path | None = None
    max_seconds: float = 1800.0
    keep: int = 10


def load_prepare_settings(env: Mapping[str, str]) -> PrepareSettings:
    network = env.get("BZZZ_SETUP_NETWORK", "").strip().lower()
    if network not in ("", "on", "off", "1", "0", "true", "false", "yes", "no"):
        raise ConfigError("BZZZ_SETUP_NETWORK", "must be on or off")
    raw_wheelhouse = env.get("BZZZ_WHEELHOUSE", "").strip()
    wheelhouse = Path(raw_wheelhouse).absolute() if raw_wheelhouse else None
    if wheelhouse is not None and not wheelhouse.is_dir():
        raise ConfigError("BZZZ_WHEELHOUSE", "must be an existing directory")
    return PrepareSettings(
        network=network not in ("off", "0", "false", "no"),
        wheelhouse=wheelhouse,
        max_seconds=_positive(env, "BZZZ_MAX_SETUP_SECONDS", 1800.0),
        keep=int(_positive(env, "BZZZ_PREP_KEEP", 10)),
    )


def _positive(env: Mapping[str, str], variable: str, default: float) -> float:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(variable, "must be a number") from None
    if value <= 0:
        raise ConfigError(variable, "must be above 0")
    return value
