"""The task's git working tree on the host: clone, look for changes, commit, push.

The token reaches git only through the environment of each git command, as
an `http.extraHeader` in GIT_CONFIG_* variables (git >= 2.31): not on the
command line (where `ps` shows it), not in the remote URL, not in .git/config.
The working tree is what the sandbox mounts, so nothing in it may hold the
token, and nothing in it does.
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bzzz.errors import BzzzError, GitHubError

if TYPE_CHECKING:
    from runner.credentials import RepoToken

BOT_NAME = "bzzz[bot]"
BOT_EMAIL = "bzzz[bot]@users.noreply.github.com"


# Caches and build leftovers of running tests, never committed by the bot.
BUILD_DEBRIS = (
    "__pycache__/",
    "*.py[cod]",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    "node_modules/",
    ".tox/",
    "*.egg-info/",
)


class GitError(BzzzError):
    """A git command on the host failed; the message holds its output (never the token)."""


def repository_info(api_url: str, token: RepoToken) -> tuple[str, str]:
    """The repository's (clone_url, default_branch), as GitHub reports them."""
    reply = httpx.get(
        f"{api_url.rstrip('/')}/repos/{token.repo}",
        headers={"Authorization": f"token {token.value}", "Accept": "application/vnd.github+json"},
        timeout=10,
    )
    if reply.status_code != 200:
        raise GitHubError(reply.status_code, f"repository {token.repo}: {reply.text[:200]}")
    data = reply.json()
    return str(data["clone_url"]), str(data.get("default_branch") or "main")


class Workspace:
    def __init__(self, path: Path, token: RepoToken) -> None:
        self.path = Path(path)
        self._token = token

    def _env(self, with_token: bool) -> dict[str, str]:
        basic = base64.b64encode(f"x-access-token:{self._token.value}".encode()).decode()
        config = [
            # Files in the tree may belong to the sandbox user while it lives.
            ("safe.directory", "*"),
            ("user.name", BOT_NAME),
            ("user.email", BOT_EMAIL),
            ("commit.gpgsign", "false"),
        ]
        if with_token:
            config.append(("http.extraHeader", f"Authorization: Basic {basic}"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG_")}
        env.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_COUNT=str(len(config)))
        for index, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        return env

    def git(self, *args: str, with_token: bool = False, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd or self.path,
            env=self._env(with_token),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            output = (done.stderr or done.stdout).replace(self._token.value, "***")
            raise GitError(f"git {args[0]} failed ({done.returncode}): {output.strip()[-800:]}")
        return done.stdout

    def clone(self, url: str, branch: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.git(
            "clone", "--quiet", "--single-branch", "--branch", branch, url, str(self.path),
            with_token=True, cwd=self.path.parent,
        )  # fmt: skip
        # What running code leaves behind is not part of the change, whatever the
        # repository's own .gitignore says; info/exclude is local and never pushed.
        exclude = self.path / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as file:
            file.write("\n".join(BUILD_DEBRIS) + "\n")

    def changed(self) -> bool:
        """True when the agent left any change (tracked or new, ignored files aside)."""
        return bool(self.git("status", "--porcelain").strip())

    def commit(self, message: str) -> str | None:
        """Commit every change as the bot; the new commit's id, or None with nothing to commit."""
        if not self.changed():
            return None
        self.git("add", "--all")
        self.git("commit", "--quiet", "--no-verify", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def push(self, branch: str) -> None:
        # Forced: the branch is the bot's own, and an earlier attempt may have left one.
        self.git(
            "push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}", with_token=True
        )
