"""Git on the runner host, run so that nothing the repository or the sandbox wrote steers it.

Every command gets an environment built here from nothing (never os.environ,
so no AWS key, App key or token of the runner's reaches git or anything it
starts), and configuration that switches off every place where git runs a
program or sends a credential on a file's say-so:

- GIT_CONFIG_NOSYSTEM=1, GIT_CONFIG_GLOBAL=/dev/null, HOME and XDG_CONFIG_HOME an
  empty directory: no system, user or XDG config; the repository's own config
  is the host's (its git directory is never mounted into the sandbox).
- core.hooksPath an empty directory, core.fsmonitor=false, no credential
  helper, no redirects, submodules never recursed, GIT_ATTR_NOSYSTEM=1.
- GIT_ALLOW_PROTOCOL: only the scheme of the one URL the task talks to.
- The token, when a command needs it, as `http.<url>.extraHeader` for that exact
  URL, in GIT_CONFIG_* variables: not in argv (`ps` shows argv), not in any file.
- No `safe.directory`: the host owns the git directory and the work tree.

Filter, diff and textconv drivers need config to exist; none is ever set, and
diffs run with --no-ext-diff --no-textconv besides.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import tarfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bzzz.errors import BzzzError

log = logging.getLogger(__name__)

BOT_NAME = "bzzz[bot]"
BOT_EMAIL = "bzzz[bot]@users.noreply.github.com"

# Not secrets, and needed to reach GitHub from behind a proxy or a private CA.
_PASSED_THROUGH = (
    "PATH", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO",
)  # fmt: skip

_SAFE_CONFIG = (
    ("core.fsmonitor", "false"),
    ("core.untrackedCache", "false"),
    ("core.symlinks", "true"),
    ("credential.helper", ""),
    ("http.followRedirects", "false"),
    ("submodule.recurse", "false"),
    ("push.recurseSubmodules", "no"),
    ("fetch.recurseSubmodules", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("user.name", BOT_NAME),
    ("user.email", BOT_EMAIL),
    ("commit.gpgsign", "false"),
    ("tag.gpgsign", "false"),
)


class GitError(BzzzError):
    """A git command on the host failed; the message holds its output (never the token)."""


# What git says when the remote, not the request, failed: a 5xx or 429 from GitHub's smart
# HTTP, or a connection that broke. Tried again (NETWORK_WAITS); anything else is final.
_TRANSIENT = re.compile(
    r"The requested URL returned error: (?:5\d\d|429)|RPC failed; HTTP (?:5\d\d|429)|"
    r"Connection reset|early EOF|Operation timed out|Failed to connect|unexpected disconnect"
)
NETWORK_WAITS = (0.5, 1.0, 2.0)  # before the 2nd, 3rd and 4th try of a network command
# Remote commands that may run again: none changes the remote unless it completes (a push
# is one ref update, leased on the tip it saw), and a failed clone leaves no directory.
_RETRIED = frozenset({"clone", "fetch", "ls-remote", "push"})


class HostGit:
    """Runs git for one repository: its git directory, its work tree, its one remote URL."""

    def __init__(
        self, git_dir: Path, work_tree: Path, empty: Path, secret: Callable[[], str] | None = None
    ) -> None:
        self.git_dir = git_dir
        self.work_tree = work_tree
        self.empty = empty  # an empty directory: hooks path and HOME
        self._secret = secret  # the token's current value, hidden from every error
        self._sleep: Callable[[float], None] = time.sleep

    def env(
        self, *, url: str | None = None, token: str | None = None, in_repo: bool = True
    ) -> dict[str, str]:
        self.empty.mkdir(parents=True, exist_ok=True)
        env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        env.update(
            HOME=str(self.empty),
            XDG_CONFIG_HOME=str(self.empty),
            LC_ALL="C",
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_ATTR_NOSYSTEM="1",
            GIT_TERMINAL_PROMPT="0",
            GIT_NO_REPLACE_OBJECTS="1",
            GIT_ALLOW_PROTOCOL=_scheme(url) if url else "none",
        )
        if in_repo:  # else (clone) git creates the repository named in argv
            env.update(GIT_DIR=str(self.git_dir), GIT_WORK_TREE=str(self.work_tree))
        config = [("core.hooksPath", str(self.empty)), *_SAFE_CONFIG]
        if url and token:
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            config.append((f"http.{url}.extraHeader", f"Authorization: Basic {basic}"))
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for index, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{index}"] = key
            env[f"GIT_CONFIG_VALUE_{index}"] = value
        return env

    def run(
        self,
        *args: str,
        url: str | None = None,
        token: str | None = None,
        cwd: Path | None = None,
        in_repo: bool = True,
        timeout: float = 300,
    ) -> str:
        waits = list(NETWORK_WAITS) if url and args and args[0] in _RETRIED else []
        while True:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd or self.git_dir,
                env=self.env(url=url, token=token, in_repo=in_repo),
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
            if done.returncode == 0:
                return done.stdout
            output = self.hide(done.stderr or done.stdout)
            if not waits or not _TRANSIENT.search(output):
                raise GitError(f"git {args[0]} failed ({done.returncode}): {output}")
            wait = waits.pop(0)
            log.info("git %s: the remote failed (%s); trying again in %.1fs", args[0],
                     output.strip().splitlines()[-1][:200], wait)  # fmt: skip
            self._sleep(wait)

    def stream(self, args: Sequence[str], limit: int) -> tuple[str, bool]:
        """At most `limit` bytes of a command's output, read in chunks; (text, truncated).

        The process is killed once the limit is passed, so a huge diff is never
        held whole, neither here nor in a pipe.
        """
        with subprocess.Popen(
            ["git", *args], cwd=self.git_dir, env=self.env(), stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ) as process:  # fmt: skip
            assert process.stdout is not None
            chunks: list[bytes] = []
            size = 0
            while size <= limit and (chunk := process.stdout.read(65536)):
                chunks.append(chunk)
                size += len(chunk)
            truncated = size > limit
            if truncated:
                process.kill()
            code = process.wait(timeout=60)
        if code != 0 and not truncated:
            raise GitError(f"git {args[0]} failed ({code})")
        return b"".join(chunks)[:limit].decode("utf-8", errors="replace"), truncated

    def export(self, rev: str, dest: Path, paths: Sequence[str] = ()) -> None:
        """Write `rev`'s files (or only `paths` of it) under `dest`, from git's objects alone.

        Nothing in a work tree is read. The archive is a repository's content, so it is
        extracted with tarfile's `data` filter: no absolute paths, no links out of `dest`,
        no devices, no set-id bits (tarfile.FilterError names the refused member).
        """
        dest.mkdir(parents=True, exist_ok=True)
        args = ["git", "archive", "--format=tar", rev, *(["--", *paths] if paths else [])]
        with subprocess.Popen(
            args, cwd=self.git_dir, env=self.env(), stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ) as process:  # fmt: skip
            assert process.stdout is not None
            with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
                archive.extractall(dest, filter="data")
        if process.returncode != 0:
            raise GitError(f"git archive of {rev[:12]} failed ({process.returncode})")

    def hide(self, output: str) -> str:
        text = output.strip()[-800:]
        return text.replace(self._secret(), "***") if self._secret else text


def _scheme(url: str) -> str:
    scheme = url.partition("://")[0].lower()
    if scheme not in ("https", "http", "file"):
        raise GitError(f"refusing to use git over {scheme!r}: only https (or http locally)")
    return scheme
