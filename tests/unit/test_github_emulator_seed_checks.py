"""The GitHub stand-in refuses a seed that could not be a GitHub (no server started)."""

from __future__ import annotations

import pytest

from infra.github_emulator import GitHubEmulator, SeedError


@pytest.mark.parametrize(
    ("seed", "complaint"),
    [
        ({"repos": [{"name": "no-slash"}]}, "not owner/name"),
        ({"repos": [{"name": "a/b", "collaborators": {"x": "god"}}]}, "unknown role"),
        ({"installations": [{"id": 1, "app_id": 3, "account": "a"}]}, "unknown app"),
    ],
)
def test_impossible_seeds_are_refused(seed, complaint):
    with pytest.raises(SeedError, match=complaint):
        GitHubEmulator.from_seed(seed)
