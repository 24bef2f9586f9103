"""A client of Hive's REST API, the coordinator the original Bzzz agents reported to.

Used only when `HIVE_URL` is set: the reconcile poll reads the repositories to
serve from `GET /api/bzzz/active-repos`, and status sync reports claims and
status changes. Every report carries `task_number`; the original agent left it
out and Hive refused every one of them.

httpx is imported when the first client is made (it comes with githubkit in
the `lambda` extra). Every failure comes out as a `HiveError`, so callers can
treat "Hive is down" as one case.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bzzz.errors import BzzzError

if TYPE_CHECKING:
    import httpx

    from bzzz.config import Settings
    from bzzz.secrets import SecretStore

# How long the active-repos list is reused for project-id lookups.
_REPOS_TTL_SECONDS = 60.0


class HiveError(BzzzError):
    """Hive is unreachable or refused a request."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"Hive answered {status}: {message}" if status else f"Hive: {message}")


@dataclass(frozen=True)
class HiveRepo:
    project_id: int
    full_name: str
    git_url: str
    branch: str
    private: bool


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HiveClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        import httpx

        headers = {"Accept": "application/json", "User-Agent": "bzzz"}
        if api_key:
            # Hive deployments differ in which header they read; both carry the same key.
            headers["Authorization"] = f"Bearer {api_key}"
            headers["X-API-Key"] = api_key
        self._http = client or httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout
        )
        self._lock = threading.Lock()
        self._repos: list[HiveRepo] = []
        self._repos_at = 0.0

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        import httpx

        try:
            reply = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise HiveError(0, f"{method} {path}: {exc}") from exc
        if reply.status_code >= 400:
            raise HiveError(reply.status_code, f"{method} {path}: {reply.text[:200]}")
        if not reply.content:
            return None
        try:
            return reply.json()
        except ValueError as exc:
            raise HiveError(reply.status_code, f"{method} {path}: not JSON") from exc

    def active_repos(self) -> list[HiveRepo]:
        """The repositories Hive wants served (bzzz_enabled), freshly read."""
        raw = self._request("GET", "/api/bzzz/active-repos")
        entries = raw.get("repositories") if isinstance(raw, dict) else None
        if not isinstance(entries, list):
            raise HiveError(200, "active-repos: no `repositories` list")
        repos = []
        for entry in entries:
            try:
                if entry.get("bzzz_enabled", True) is False:
                    continue
                owner, name = entry["owner"], entry.get("repository") or entry["name"]
                repos.append(
                    HiveRepo(
                        project_id=int(entry["project_id"]),
                        full_name=f"{owner}/{name}",
                        git_url=str(entry.get("git_url") or f"https://github.com/{owner}/{name}"),
                        branch=str(entry.get("branch") or "main"),
                        private=bool(entry.get("private_repo", False)),
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # one malformed entry must not hide the others
        with self._lock:
            self._repos, self._repos_at = repos, time.monotonic()
        return repos

    def project_id(self, full_name: str) -> int | None:
        """Hive's project id of `full_name` (from a recent active-repos list), or None."""
        with self._lock:
            fresh = time.monotonic() - self._repos_at < _REPOS_TTL_SECONDS
            repos = self._repos
        if not fresh:
            repos = self.active_repos()
        wanted = full_name.lower()
        return next((r.project_id for r in repos if r.full_name.lower() == wanted), None)

    def report_claim(
        self, project_id: int, task_number: int, agent_id: str, claimed_at: float
    ) -> bool:
        """Report a claim; False when Hive already records it as claimed (409)."""
        body = {"task_number": task_number, "agent_id": agent_id, "claimed_at": rfc3339(claimed_at)}
        try:
            self._request("POST", f"/api/bzzz/projects/{project_id}/claim", body)
        except HiveError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    def report_status(
        self,
        project_id: int,
        task_number: int,
        status: str,
        updated_at: float,
        metadata: dict[str, Any],
    ) -> None:
        body = {
            "task_number": task_number,
            "status": status,
            "updated_at": rfc3339(updated_at),
            "metadata": metadata,
        }
        self._request("PUT", f"/api/bzzz/projects/{project_id}/status", body)

    def close(self) -> None:
        self._http.close()


def hive_from_settings(settings: Settings, secrets: SecretStore) -> HiveClient | None:
    """The Hive client when `HIVE_URL` is set, else None (the embedded Hive API serves)."""
    if not settings.hive_url:
        return None
    return HiveClient(settings.hive_url, api_key=secrets.get("hive_api_key"))
