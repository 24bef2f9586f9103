"""The task's repository on the host: a git directory the sandbox never sees, a work tree it does.

    <state>/git/<name>.git          the real git directory: never mounted, written by the host only
    <state>/workspaces/<name>/      the work tree, mounted at /workspace
    <state>/workspaces/<name>/.git  a throwaway copy for the agent's own `git diff`/`log`

The host runs git with GIT_DIR/GIT_WORK_TREE (runner.git.host_git), after
`seal` has measured the tree and removed every `.git` in it, so nothing the
sandbox wrote - hooks, config, drivers, remotes, nested repositories - is
read by the host. Pushes go to the clone URL GitHub reported, never to a
remote from config, with `--no-verify` and a lease, and only to the bot's own
branch: never the default branch, never one whose tip someone else committed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bzzz.github.client import DEFAULT_RETRIES, Retries
from runner.git.host_git import BOT_EMAIL, GitError, HostGit
from runner.git.tree import MB, TreeSize, seal

if TYPE_CHECKING:
    from runner.credentials import RepoToken

DEFAULT_QUOTA_MB = 2048


class BranchMovedError(GitError):
    """A review round's branch moved (or went) under it: its commit is not pushed there."""


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


def workspace_name(task_key: str) -> str:
    """A directory name for the task: readable, and distinct for distinct keys.

    `a/b-c#1` and `a-b/c#1` read alike once slugged; the hash of the exact key
    tells them apart.
    """
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", task_key).strip("-.")[:60]
    return f"{slug}-{hashlib.sha256(task_key.encode()).hexdigest()[:10]}"


def repository_info(
    api_url: str, token: RepoToken, retries: Retries = DEFAULT_RETRIES
) -> tuple[str, str]:
    """The repository's (clone_url, default_branch), as GitHub reports them.

    Through GitHubApi, so retried as every GitHub call is (Retries): a timeout or a 5xx
    here once failed the whole task for good (1,000-task scale run: 103 tasks)."""
    from bzzz.github import GitHubApi

    return GitHubApi(api_url, token=token.value, timeout=10, retries=retries).repository(token.repo)


def parse_numstat(raw: str) -> list[tuple[str, int | None, int | None]]:
    """`git diff --numstat -z` output as (path, added, removed); `-` (a binary file) is None.

    Each record is `added<TAB>removed<TAB>path<NUL>`, the path verbatim (tabs, newlines and
    all: -z quotes nothing); a rename, should one slip in, is `added<TAB>removed<TAB><NUL>
    old<NUL>new<NUL>` and counts as its new path. Anything else is refused (GitError), never
    guessed at.
    """
    rows: list[tuple[str, int | None, int | None]] = []
    fields = raw.split("\0")
    if fields[-1] == "":  # after the NUL that ends the last record
        fields.pop()
    i = 0
    while i < len(fields):
        record = fields[i]
        i += 1
        parts = record.split("\t", 2)
        if len(parts) != 3:
            raise GitError(f"unreadable numstat record {record[:80]!r}")
        added, removed, path = parts
        if not path:  # a rename: the old and the new path follow as fields of their own
            if i + 2 > len(fields) or not fields[i + 1]:
                raise GitError("a numstat rename without its paths")
            path = fields[i + 1]
            i += 2
        rows.append((path, _count(added), _count(removed)))
    return rows


def _count(field: str) -> int | None:
    if field == "-":
        return None
    if not field.isascii() or not field.isdigit():
        raise GitError(f"unreadable numstat count {field[:20]!r}")
    return int(field)


class Workspace:
    def __init__(
        self, state_dir: Path, name: str, token: RepoToken, *, quota_mb: int = DEFAULT_QUOTA_MB
    ) -> None:
        self.path = Path(state_dir) / "workspaces" / name
        self.git_dir = Path(state_dir) / "git" / f"{name}.git"
        self.quota = quota_mb * MB
        self._token = token
        self._host = HostGit(
            self.git_dir, self.path, self.git_dir.parent / "empty", lambda: token.value
        )
        self.url = ""
        self.base = ""  # the commit the branch started from
        self.base_branch = ""
        self.head_at_clone = ""  # a review round: the pull request's head when it began
        self.sealed: TreeSize | None = None

    def git(self, *args: str) -> str:
        return self._host.run(*args)

    def clone(self, url: str, branch: str) -> None:
        self.remove()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.url, self.base_branch = url, branch
        self._host.run(
            "clone", "--quiet", "--single-branch", "--no-recurse-submodules", "--branch", branch,
            "--separate-git-dir", str(self.git_dir), url, str(self.path),
            url=url, token=self._token.value, cwd=self.path.parent, in_repo=False,
        )  # fmt: skip
        (self.path / ".git").unlink()  # the link to the real git directory
        self.base = self.git("rev-parse", "HEAD").strip()
        # What running code leaves behind is not part of the change, whatever the
        # repository's own .gitignore says; info/exclude is local and never pushed.
        exclude = self.git_dir / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as file:
            file.write("\n".join(BUILD_DEBRIS) + "\n")
        self._sandbox_repo()

    def clone_pull(self, url: str, head: str, default_branch: str) -> None:
        """A review round: the pull request's `head` branch as it stands, others' commits too.

        `base` becomes the commit where `head` left the default branch, so the
        verification compares against what the pull request would change; pushing
        to the default branch stays refused, pushing to `head` is fast-forward only.
        """
        self.clone(url, head)
        self.base_branch = default_branch
        self.head_at_clone = self.git("rev-parse", "HEAD").strip()
        ref = f"refs/heads/{default_branch}"
        token = self._token.value
        self._host.run("fetch", "--quiet", "--no-tags", url, ref, url=url, token=token)
        self.base = self.git("merge-base", "HEAD", "FETCH_HEAD").strip()

    def push_fast_forward(self, branch: str) -> None:
        """Push HEAD onto `branch` only if that adds to it: never over anyone's commits.

        No force of any kind: the remote's tip must still be the commit the round
        started from (or one HEAD contains). Someone pushed meanwhile: BranchMovedError,
        and nothing on the branch changes.
        """
        self._check_branch(branch)
        ref = f"refs/heads/{branch}"
        token = self._token.value
        listed = self._host.run("ls-remote", self.url, ref, url=self.url, token=token)
        tips = [line.split("\t") for line in listed.splitlines() if "\t" in line]
        tip = next((sha for sha, name in tips if name == ref), "")
        if not tip:
            raise BranchMovedError(f"branch {branch} is gone; not recreating it")
        if tip != self.head_at_clone:
            self._host.run(
                "fetch", "--quiet", "--no-tags", self.url, ref, url=self.url, token=token
            )
            try:  # exit status 1: the remote tip is not in HEAD's history
                self.git("merge-base", "--is-ancestor", tip, "HEAD")
            except GitError:
                raise BranchMovedError(
                    f"branch {branch} moved while the round ran (now {tip[:12]}); "
                    "not pushing over it"
                ) from None
        self._host.run(
            "push", "--quiet", "--no-verify", "--no-recurse-submodules", self.url,
            f"HEAD:{ref}", url=self.url, token=token,
        )  # fmt: skip

    def _sandbox_repo(self) -> None:
        """A copy of the repository (objects copied, never linked) for the agent to play with."""
        throwaway = HostGit(self.path / ".git", self.path, self._host.empty)
        source = f"file://{self.git_dir}"
        throwaway.run(
            "clone", "--quiet", "--bare", "--no-hardlinks", source, str(throwaway.git_dir),
            url=source, cwd=self.path, in_repo=False,
        )  # fmt: skip
        throwaway.run("config", "core.bare", "false")
        throwaway.run("remote", "set-url", "origin", self.url)
        throwaway.run("reset", "--quiet")

    def seal(self) -> TreeSize:
        """Once the sandbox is gone: measure the tree and clear it for git (see runner.git.tree)."""
        if self.sealed is None:
            self.sealed = seal(self.path, self.quota)
        return self.sealed

    def changed(self) -> bool:
        """True when the agent left any change (tracked or new, ignored files aside)."""
        self.seal()
        return bool(self.git("status", "--porcelain", "--ignore-submodules=all").strip())

    def commit(self, message: str) -> str | None:
        """Commit every change as the bot; the new commit's id, or None with nothing to commit."""
        if not self.changed():
            return None
        self.git("add", "--all")
        self.git("commit", "--quiet", "--no-verify", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def push(self, branch: str) -> None:
        """Push HEAD to the bot's own `branch`, leased on what the remote has there now."""
        self._check_branch(branch)
        ref = f"refs/heads/{branch}"
        token = self._token.value
        listed = self._host.run("ls-remote", self.url, ref, url=self.url, token=token)
        # ls-remote matches patterns by their tail (refs/heads/x/<ref> too): take the exact ref.
        tips = [line.split("\t") for line in listed.splitlines() if "\t" in line]
        tip = next((sha for sha, name in tips if name == ref), "")
        if tip:
            # An earlier attempt's branch may be replaced; anyone else's work on it may not.
            self._host.run(
                "fetch", "--quiet", "--no-tags", self.url, ref, url=self.url, token=token
            )
            committer = self.git("log", "-1", "--format=%ce", "FETCH_HEAD").strip()
            if committer != BOT_EMAIL:
                raise GitError(
                    f"branch {branch} exists and its last commit is not the bot's ({committer}); "
                    "not overwriting it"
                )
        self._host.run(
            "push", "--quiet", "--no-verify", "--no-recurse-submodules",
            f"--force-with-lease={ref}:{tip}", self.url, f"HEAD:{ref}",
            url=self.url, token=token,
        )  # fmt: skip

    def _check_branch(self, branch: str) -> None:
        if not branch or branch == self.base_branch:
            raise GitError(f"refusing to push to {branch or 'an empty branch name'!r}")
        self.git("check-ref-format", f"refs/heads/{branch}")

    def diff(self, limit: int) -> tuple[str, bool]:
        """The tree's diff against the base commit, at most `limit` bytes; (diff, truncated)."""
        self.seal()
        self.git("add", "--all", "--intent-to-add")
        args = ["diff", "--binary", "--no-ext-diff", "--no-textconv", "--ignore-submodules=all"]
        return self._host.stream([*args, self.base], limit)

    def tree(self) -> str:
        """The sealed work tree as a git tree object (in the host's git directory)."""
        self.seal()
        self.git("add", "--all")
        return self.git("write-tree").strip()

    def changed_paths(self, tree: str) -> list[str]:
        """Paths that differ between the base commit and `tree` (renames as delete + add)."""
        listed = self.git("diff-tree", "-r", "-z", "--no-renames", "--name-only", self.base, tree)
        return [path for path in listed.split("\0") if path]

    def diffstat(self, rev: str) -> list[tuple[str, int | None, int | None]]:
        """What `rev` changes against the base commit: (path, added, removed) per file, the
        counts None for a binary file; renames as delete + add, no driver run (parse_numstat)."""
        return parse_numstat(
            self.git("diff", "--numstat", "-z", "--no-renames", "--no-ext-diff", "--no-textconv",
                     "--ignore-submodules=all", self.base, rev)
        )  # fmt: skip

    def export(self, rev: str, dest: Path, paths: Sequence[str] = ()) -> None:
        """Write `rev`'s files (or only `paths` of it) under `dest`, from git's objects alone.

        Nothing in the work tree is read. The archive is the repository's content, so
        it is extracted with tarfile's `data` filter: no absolute paths, no links out of
        `dest`, no devices, no set-id bits.
        """
        self._host.export(rev, dest, paths)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(self.git_dir, ignore_errors=True)
