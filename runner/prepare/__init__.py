"""Repository setup in a preparation container, cached as an image per dependency fingerprint.

    image = prepare(client, base, workspace, repo_config, settings=..., ...).tag

See runner.prepare.image for the container, runner.prepare.fingerprint for what
decides reuse, docs/bzzz-yml.md for `setup:` and docs/runner.md for the settings.
"""

from runner.prepare.errors import FingerprintError, PrepareError, SetupFailedError
from runner.prepare.image import prepare
from runner.prepare.prune import prune_prepared
from runner.prepare.settings import PrepareSettings, load_prepare_settings

__all__ = [
    "FingerprintError",
    "PrepareError",
    "PrepareSettings",
    "SetupFailedError",
    "load_prepare_settings",
    "prepare",
    "prune_prepared",
]
