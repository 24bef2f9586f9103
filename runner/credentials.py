"""GitHub credentials for one task, asked of the control plane; the App key is never here.

With `BZZZ_CONTROL_PLANE_URL` set (every deployment), the runner asks
`POST {url}/api/tasks/{key}/token`, signed with its own audit key, and gets
an installation token scoped to the task's repository and to the permissions
a task needs; only while it holds the task's lease. The token is re-asked
`REFRESH_MARGIN` before it expires. Without a control plane URL a plain
`GITHUB_TOKEN` is used as it is: development only (docs/runner-credentials.md).

Either way the token stays on the host: git gets it per command as an HTTP
header (runner.git.workspace), never in a file, and the sandbox never sees it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from bzzz.errors import ConfigError
from bzzz.github import GitHubApi
from bzzz.tasks.keys import parse_task_key
from runner.errors import TokenRefusedError

if TYPE_CHECKING:
    from bzzz.audit.keys import Signer

# GitHub's installation tokens live an hour; ask for the next one with this much left.
REFRESH_MARGIN = 600.0
# The App key belongs to the control plane: a runner host that has it refuses to start.
FORBIDDEN_VARIABLES = ("GITHUB_APP_PRIVATE_KEY",)

Fetch = Callable[[], tuple[str, float | None]]  # -> (token, expiry as unix time or None)


class RepoToken:
    """The current token of one task's repository; `value` re-asks shortly before expiry."""

    def __init__(
        self, repo: str, fetch: Fetch, *, scoped: bool, clock: Callable[[], float] = time.time
    ) -> None:
        self.repo = repo
        self.scoped = scoped  # True for an installation token scoped to this repository
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._value, self._expires_at = fetch()

    @property
    def value(self) -> str:
        with self._lock:
            if self._expires_at is not None and self._expires_at - self._clock() < REFRESH_MARGIN:
                self._value, self._expires_at = self._fetch()
            return self._value

    @property
    def expires_at(self) -> float | None:
        return self._expires_at

    def __repr__(self) -> str:  # never print the secret, not even in a traceback
        return f"RepoToken(repo={self.repo!r}, scoped={self.scoped})"


class _LiveTokenAuth(httpx.Auth):
    def __init__(self, token: RepoToken) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"token {self._token.value}"
        yield request


def _live_auth(token: RepoToken) -> Any:
    """A githubkit auth strategy that reads the token at each request (it may be renewed)."""
    from githubkit.auth.base import BaseAuthStrategy

    class LiveToken(BaseAuthStrategy):
        def get_auth_flow(self, github: Any) -> httpx.Auth:
            return _LiveTokenAuth(token)

    return LiveToken()


class Credentials:
    """Where a task's token comes from: the control plane, or (development) GITHUB_TOKEN."""

    def __init__(
        self,
        github_api_url: str,
        *,
        control_plane_url: str | None = None,
        signer: Signer | None = None,
        dev_token: str | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if control_plane_url and signer is None:
            raise ValueError("asking the control plane needs the runner's signer")
        self._api_url = github_api_url
        self._control_plane = control_plane_url.rstrip("/") if control_plane_url else None
        self._signer = signer
        self._dev_token = dev_token
        self._timeout = timeout
        self._clock = clock

    def check(self) -> str:
        """Raise ConfigError when no source of tokens is configured; else say which one."""
        if self._control_plane:
            return f"the control plane at {self._control_plane} (tokens per task, per repository)"
        if self._dev_token:
            return "GITHUB_TOKEN (development only: not scoped to a repository)"
        raise ConfigError(
            "BZZZ_CONTROL_PLANE_URL",
            "missing credentials: set BZZZ_CONTROL_PLANE_URL (or, for development, GITHUB_TOKEN)",
        )

    def token_for(self, key: str) -> RepoToken:
        """The token for task `key`'s repository; TokenRefusedError when refused."""
        repo, _ = parse_task_key(key)
        if self._control_plane:
            return RepoToken(repo, lambda: self._ask(key), scoped=True, clock=self._clock)
        if not self._dev_token:
            raise ConfigError("GITHUB_TOKEN", "missing")
        dev_token = self._dev_token
        return RepoToken(repo, lambda: (dev_token, None), scoped=False)

    def api(self, token: RepoToken) -> GitHubApi:
        return GitHubApi(self._api_url, auth=_live_auth(token))

    def _ask(self, key: str) -> tuple[str, float | None]:
        from bzzz.credentials import sign_request

        assert self._signer is not None and self._control_plane is not None
        url = f"{self._control_plane}/api/tasks/{quote(key, safe='')}/token"
        headers = {"Authorization": sign_request(self._signer, key)}
        try:
            reply = httpx.post(url, headers=headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise TokenRefusedError(0, f"no answer from the control plane: {exc}") from exc
        if reply.status_code != 200:
            try:
                message = str(reply.json().get("message", ""))
            except ValueError:
                message = reply.text[:200]
            raise TokenRefusedError(reply.status_code, message)
        body = reply.json()
        expires = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        return str(body["token"]), expires.timestamp()
