"""A GitHub REST stand-in for tests and the local demo, held to GitHub's OpenAPI description.

Nothing is imported eagerly beyond these names; the app builds on first use.
"""

from __future__ import annotations

from pathlib import Path

from infra.github_emulator.app import GitHubEmulator
from infra.github_emulator.errors import EmulatorError, GitHubError, SeedError
from infra.github_emulator.server import RunningEmulator, start_in_thread

DEMO_SEED = Path(__file__).parent / "seeds" / "demo.yaml"

__all__ = [
    "DEMO_SEED",
    "EmulatorError",
    "GitHubEmulator",
    "GitHubError",
    "RunningEmulator",
    "SeedError",
    "start_in_thread",
]
