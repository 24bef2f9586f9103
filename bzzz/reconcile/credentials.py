"""Which GitHub credential the asynchronous control plane uses for a repository.

A GitHub App installation when the app is configured and the registry knows
the repository's installation, else the token (`GITHUB_TOKEN`). Clients are
made on first use and kept per credential for the life of the process (a warm
Lambda reuses them). Shared by the reconcile poll and status sync.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from bzzz.config import Settings
from bzzz.errors import ConfigError
from bzzz.store.models import Repo

if TYPE_CHECKING:
    from bzzz.github import GitHubApi
    from bzzz.secrets import SecretStore

GitHubFor = Callable[[str], "GitHubApi"]


class GitHubPicker:
    """`picker(repo)` → the GitHubApi to use for `repo` (owner/name)."""

    def __init__(self, settings: Settings, secrets: SecretStore) -> None:
        self._settings = settings
        self._secrets = secrets
        self._lock = threading.Lock()
        self._clients: dict[int | None, GitHubApi] = {}

    def __call__(self, repo: str) -> GitHubApi:
        installation = self._installation(repo)
        with self._lock:
            found = self._clients.get(installation)
            if found is None:
                found = self._make(installation)
                self._clients[installation] = found
            return found

    def _installation(self, repo: str) -> int | None:
        if not self._settings.github_app_id or not self._secrets.get("github_app_private_key"):
            return None
        try:
            row = Repo.get(repo)
        except DoesNotExist:
            return None
        return int(row.installation_id) if row.installation_id else None

    def _make(self, installation: int | None) -> GitHubApi:
        from bzzz.github import GitHubApi

        base = self._settings.github_api_url
        if installation is not None:
            return GitHubApi(
                base,
                app_id=self._settings.github_app_id,
                private_key=self._secrets.require("github_app_private_key"),
                installation_id=installation,
            )
        token = self._secrets.get("github_token")
        if not token:
            raise ConfigError(
                "GITHUB_TOKEN", "missing: set a token, or a GitHub App and install it on the repo"
            )
        return GitHubApi(base, token=token)
