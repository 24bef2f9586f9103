"""Installation tokens for one repository, minted with the GitHub App's key (control plane only).

`POST /app/installations/{id}/access_tokens` with `repositories: [name]` and
exactly the permissions a task needs. GitHub's reply is checked too: a token
that reaches more than the one repository, or holds more than was asked, is
refused rather than handed on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bzzz.credentials.errors import TokenUnavailableError
from bzzz.errors import GitHubError

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.secrets import SecretStore

# What a task needs of its repository, no more. GitHub adds metadata: read to every token.
TASK_PERMISSIONS: dict[str, str] = {
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
    "metadata": "read",
}


@dataclass(frozen=True)
class VendedToken:
    repo: str
    token: str
    expires_at: str  # ISO 8601, as GitHub gives it
    permissions: dict[str, str]

    def __repr__(self) -> str:  # never print the secret, not even in a traceback
        return f"VendedToken(repo={self.repo!r}, expires_at={self.expires_at!r})"


class AppTokens:
    def __init__(self, settings: Settings, secrets: SecretStore) -> None:
        self._settings = settings
        self._secrets = secrets
        self._installations: dict[str, int] = {}
        self._lock = threading.Lock()

    def mint(self, repo: str) -> VendedToken:
        from githubkit.exception import RequestError, RequestFailed

        app = self._app()
        name = repo.partition("/")[2]
        body: Any = {"repositories": [name], "permissions": TASK_PERMISSIONS}
        try:
            installation = self._installation(app, repo)
            reply = app.rest.apps.create_installation_access_token(installation, data=body)
        except RequestFailed as exc:
            if exc.response.status_code == 404:
                raise TokenUnavailableError(f"the GitHub App is not installed on {repo}") from exc
            raise GitHubError(exc.response.status_code, f"minting a token for {repo}") from exc
        except RequestError as exc:
            raise GitHubError(0, f"minting a token for {repo}: {type(exc).__name__}") from exc
        data = reply.json()
        return _checked(repo, data)

    def _app(self) -> Any:
        from githubkit import AppAuthStrategy, GitHub
        from githubkit.cache import MemCacheStrategy

        app_id = self._settings.github_app_id
        key = self._secrets.get("github_app_private_key") if app_id else None
        if not app_id or not key:
            raise TokenUnavailableError("the control plane has no GitHub App to mint tokens with")
        return GitHub(
            AppAuthStrategy(app_id, key),
            base_url=self._settings.github_api_url.rstrip("/") + "/",
            http_cache=False,
            cache_strategy=MemCacheStrategy(),  # not the process-wide one (bzzz.github.client)
            auto_retry=False,
            timeout=8.0,
        )

    def _installation(self, app: Any, repo: str) -> int:
        with self._lock:
            found = self._installations.get(repo)
        if found is None:
            owner, _, name = repo.partition("/")
            found = int(app.rest.apps.get_repo_installation(owner, name).json()["id"])
            with self._lock:
                self._installations[repo] = found
        return found


def _checked(repo: str, data: dict[str, Any]) -> VendedToken:
    reached = [str(r.get("full_name", "")).lower() for r in data.get("repositories") or []]
    granted = {str(k): str(v) for k, v in (data.get("permissions") or {}).items()}
    beyond = {k: v for k, v in granted.items() if TASK_PERMISSIONS.get(k) not in (v, "write")}
    if reached != [repo.lower()] or beyond:
        raise GitHubError(502, f"GitHub minted a token for {repo} broader than asked; refused")
    return VendedToken(repo, str(data["token"]), str(data["expires_at"]), granted)
