"""`installation` and `installation_repositories`: keep the repo registry current.

The registry is what the Hive-compatible API lists and the reconcile poll
walks. A repository's `project_id` is its GitHub repository id (stable across
renames). Removed or suspended repositories stay in the registry, disabled, so
their tasks keep a home.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bzzz.config import Settings
from bzzz.webhooks import Context, Outcome, Router

ENABLE = {"created", "unsuspend", "new_permissions_accepted"}
DISABLE = {"deleted", "suspend"}


def git_url(api_url: str, full_name: str) -> str:
    """The clone URL: github.com for the public API, else beside the API (GHES, stand-in)."""
    if api_url.rstrip("/") == "https://api.github.com":
        return f"https://github.com/{full_name}.git"
    return f"{api_url.rstrip('/').removesuffix('/api/v3')}/{full_name}.git"


class InstallationEvents:
    def __init__(
        self, settings: Settings, dynamodb: Any, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._db = dynamodb
        self._clock = clock

    def register(self, router: Router) -> None:
        router.on("installation")(self.installation)
        router.on("installation_repositories")(self.repositories)

    def installation(self, ctx: Context) -> Outcome:
        action = ctx.event.action or ""
        repos = _repos(ctx.payload.get("repositories"))
        if action in ENABLE:
            return self._apply(ctx, repos, enabled=True)
        if action in DISABLE:
            return self._apply(ctx, repos, enabled=False)
        return Outcome.ignored(f"installation.{action} changes no repository")

    def repositories(self, ctx: Context) -> Outcome:
        added = self._apply(ctx, _repos(ctx.payload.get("repositories_added")), enabled=True)
        removed = self._apply(ctx, _repos(ctx.payload.get("repositories_removed")), enabled=False)
        return Outcome.done(f"{added.reason}; {removed.reason}")

    def _apply(self, ctx: Context, repos: Iterable[dict[str, Any]], *, enabled: bool) -> Outcome:
        installation = ctx.payload.get("installation") or {}
        installation_id = installation.get("id") if isinstance(installation, dict) else None
        count = 0
        for repo in repos:
            # An installation may hold repositories of accounts this Bzzz does not serve.
            if enabled and not self._settings.serves(str(repo["full_name"])):
                continue
            self._upsert(repo, installation_id, enabled)
            count += 1
        verb = "registered" if enabled else "disabled"
        return Outcome.done(f"{count} repositories {verb}")

    def _upsert(self, repo: dict[str, Any], installation_id: Any, enabled: bool) -> None:
        full_name = str(repo["full_name"])
        owner, _, name = full_name.partition("/")
        values: dict[str, dict[str, str]] = {
            ":project_id": {"N": str(int(repo["id"]))},
            ":owner": {"S": owner},
            ":name": {"S": name},
            ":git_url": {"S": git_url(self._settings.github_api_url, full_name)},
            ":enabled": {"N": "1" if enabled else "0"},
            ":private": {"N": "1" if repo.get("private") else "0"},
            ":updated_at": {"N": str(round(self._clock(), 3))},
            ":main": {"S": "main"},
        }
        if isinstance(installation_id, int):
            values[":installation_id"] = {"N": str(installation_id)}
        # Every name through a placeholder: `name`, `owner` and `private` are reserved words.
        fields = [v[1:] for v in values if v not in (":main",)]
        sets = [f"#{f} = :{f}" for f in fields]
        # Installation payloads do not name the default branch; keep one we know.
        sets.append("#default_branch = if_not_exists(#default_branch, :main)")
        self._db.update_item(
            TableName=self._settings.repos_table,
            Key={"full_name": {"S": full_name}},
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames={f"#{f}": f for f in [*fields, "default_branch"]},
            ExpressionAttributeValues=values,
        )


def _repos(raw: Any) -> list[dict[str, Any]]:
    """The well-formed repository entries of a payload list (others are skipped)."""
    if not isinstance(raw, list):
        return []
    return [
        r
        for r in raw
        if isinstance(r, dict)
        and isinstance(r.get("id"), int)
        and isinstance(r.get("full_name"), str)
        and "/" in r["full_name"]
    ]
