"""GitHub credentials for one task: a short-lived token scoped to the one repository.

With a GitHub App configured (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY) each
task gets an installation token minted for its repository alone (an hour at
most, GitHub's limit), so a leaked token reaches nothing else. Without one the
configured GITHUB_TOKEN is used as it is. Either way the token stays on the
host: git gets it per command as an HTTP header (runner.git.workspace), never in a
file, and the sandbox never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bzzz.errors import ConfigError, GitHubError
from bzzz.github import GitHubApi

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.secrets import SecretStore

# What a task needs of a repository, no more.
TASK_PERMISSIONS = {"contents": "write", "pull_requests": "write", "issues": "write"}


@dataclass(frozen=True)
class RepoToken:
    repo: str
    value: str
    scoped: bool  # True for an installation token minted for this repository only

    def __repr__(self) -> str:  # never print the secret, not even in a traceback
        return f"RepoToken(repo={self.repo!r}, scoped={self.scoped})"


class Credentials:
    def __init__(self, settings: Settings, secrets: SecretStore) -> None:
        self._api_url = settings.github_api_url
        self._app_id = settings.github_app_id
        self._secrets = secrets

    def check(self) -> str:
        """Raise ConfigError when no credential is configured; else say which one is used."""
        if self._app_id and self._secrets.get("github_app_private_key"):
            return f"GitHub App {self._app_id} (installation tokens scoped per repository)"
        if self._secrets.get("github_token"):
            return "GITHUB_TOKEN"
        raise ConfigError(
            "GITHUB_TOKEN",
            "missing credentials: set GITHUB_TOKEN, or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY",
        )

    def token_for(self, repo: str) -> RepoToken:
        private_key = self._secrets.get("github_app_private_key") if self._app_id else None
        if self._app_id and private_key:
            return RepoToken(repo, self._mint(repo, self._app_id, private_key), scoped=True)
        return RepoToken(repo, self._secrets.require("github_token"), scoped=False)

    def api(self, token: RepoToken) -> GitHubApi:
        return GitHubApi(self._api_url, token=token.value)

    def _mint(self, repo: str, app_id: int, private_key: str) -> str:
        from githubkit import AppAuthStrategy, GitHub
        from githubkit.exception import RequestError, RequestFailed

        owner, _, name = repo.partition("/")
        app = GitHub(
            AppAuthStrategy(app_id, private_key),
            base_url=self._api_url.rstrip("/") + "/",
            http_cache=False,
            auto_retry=False,
        )
        try:
            installation = app.rest.apps.get_repo_installation(owner, name).json()["id"]
            body: Any = {"repositories": [name], "permissions": TASK_PERMISSIONS}
            reply = app.rest.apps.create_installation_access_token(installation, data=body)
        except RequestFailed as exc:
            status = exc.response.status_code
            what = f"minting a token for {repo}: {exc.response.text[:200]}"
            raise GitHubError(status, what) from exc
        except RequestError as exc:
            raise GitHubError(0, f"minting a token for {repo}: {exc}") from exc
        return str(reply.json()["token"])
