"""Bare git repositories on disk: create with files, read branches and commits, write refs."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from infra.github_emulator.errors import GitError

_ENV = {
    "GIT_AUTHOR_NAME": "GitHub Emulator",
    "GIT_AUTHOR_EMAIL": "emulator@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "GitHub Emulator",
    "GIT_COMMITTER_EMAIL": "emulator@users.noreply.github.com",
    # Never read the developer's own git configuration.
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(
    git_dir: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    try:
        done = subprocess.run(
            ["git", f"--git-dir={git_dir}", *args],
            input=stdin,
            capture_output=True,
            check=True,
            env={**os.environ, **_ENV, **(env or {})},
            timeout=30,
        )
    except subprocess.CalledProcessError as exc:
        raise GitError(f"git {' '.join(args)}: {exc.stderr.decode(errors='replace')}") from exc
    return done.stdout.decode()


def init_bare(git_dir: Path, default_branch: str, files: dict[str, str], message: str) -> None:
    """Create a bare repository whose default branch holds `files` in one commit."""
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    _git(git_dir, "init", "--bare", "--quiet", f"--initial-branch={default_branch}", str(git_dir))
    # git http-backend refuses pushes from an unauthenticated CGI user unless told
    # otherwise; the emulator authenticates before it ever calls the backend.
    _git(git_dir, "config", "http.receivepack", "true")
    if not files:
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        for path, content in sorted(files.items()):
            blob = _git(git_dir, "hash-object", "-w", "--stdin", stdin=content.encode()).strip()
            mode = "100755" if content.startswith("#!") else "100644"
            _git(git_dir, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=env)
        tree = _git(git_dir, "write-tree", env=env).strip()
    commit = _git(git_dir, "commit-tree", tree, "-m", message).strip()
    _git(git_dir, "update-ref", f"refs/heads/{default_branch}", commit)


def branches(git_dir: Path) -> list[tuple[str, str]]:
    """(name, commit sha) of every branch, sorted by name."""
    out = _git(git_dir, "for-each-ref", "refs/heads", "--format=%(refname:short) %(objectname)")
    pairs = [tuple(line.split(" ", 1)) for line in out.splitlines() if line]
    return sorted((name, sha) for name, sha in pairs)


def refs(git_dir: Path, prefix: str = "refs/") -> list[tuple[str, str, str]]:
    """(full ref name, object sha, object type) under `prefix`."""
    out = _git(git_dir, "for-each-ref", prefix, "--format=%(refname) %(objectname) %(objecttype)")
    return [tuple(line.split(" ", 2)) for line in out.splitlines() if line]  # type: ignore[misc]


def resolve(git_dir: Path, ref: str) -> str | None:
    """The commit sha `ref` names, or None."""
    try:
        return _git(git_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except GitError:
        return None


def update_ref(git_dir: Path, ref: str, sha: str) -> None:
    _git(git_dir, "update-ref", ref, sha)


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    message: str
    author_name: str
    author_email: str
    author_date: str
    committer_name: str
    committer_email: str
    committer_date: str
    tree: str
    parents: list[str]


def commit_info(git_dir: Path, sha: str) -> CommitInfo:
    fmt = "%H%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%T%x00%P%x00%B"
    parts = _git(git_dir, "show", "-s", f"--format={fmt}", sha).split("\x00")
    return CommitInfo(
        sha=parts[0],
        author_name=parts[1],
        author_email=parts[2],
        author_date=parts[3],
        committer_name=parts[4],
        committer_email=parts[5],
        committer_date=parts[6],
        tree=parts[7],
        parents=parts[8].split(),
        message=parts[9].rstrip("\n"),
    )


@dataclass(frozen=True)
class DiffStats:
    commits: int
    additions: int
    deletions: int
    changed_files: int


def diff_stats(git_dir: Path, base: str, head: str) -> DiffStats:
    """What a pull request from `head` into `base` would carry."""
    base_sha, head_sha = resolve(git_dir, base), resolve(git_dir, head)
    if base_sha is None or head_sha is None:
        return DiffStats(0, 0, 0, 0)
    commits = int(_git(git_dir, "rev-list", "--count", f"{base_sha}..{head_sha}").strip() or 0)
    added = deleted = files = 0
    for line in _git(git_dir, "diff", "--numstat", f"{base_sha}...{head_sha}").splitlines():
        plus, minus, _ = line.split("\t", 2)
        files += 1
        added += int(plus) if plus.isdigit() else 0
        deleted += int(minus) if minus.isdigit() else 0
    return DiffStats(commits, added, deleted, files)


def diff(git_dir: Path, base: str, head: str, path: str) -> str | None:
    """The unified diff of `path` in a pull request from `head` into `base` (None: no such refs)."""
    base_sha, head_sha = resolve(git_dir, base), resolve(git_dir, head)
    if base_sha is None or head_sha is None:
        return None
    span = f"{base_sha}...{head_sha}"
    return _git(git_dir, "diff", "--no-color", "--no-ext-diff", span, "--", path)


def merge(git_dir: Path, base: str, head: str, message: str, author: tuple[str, str]) -> str | None:
    """Merge branch `head` into branch `base` with a merge commit; its sha, or None on conflicts.

    `git merge-tree --write-tree` merges without a work tree, as a bare repository needs.
    """
    base_sha, head_sha = resolve(git_dir, base), resolve(git_dir, head)
    if base_sha is None or head_sha is None:
        return None
    try:
        tree = _git(git_dir, "merge-tree", "--write-tree", base_sha, head_sha).split("\n", 1)[0]
    except GitError:
        return None  # exit status 1: conflicts
    name, email = author
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email}
    commit = _git(
        git_dir, "commit-tree", tree.strip(), "-p", base_sha, "-p", head_sha, "-m", message, env=env
    ).strip()
    # The old value makes the update conditional: a push in between leaves the base alone.
    _git(git_dir, "update-ref", f"refs/heads/{base}", commit, base_sha)
    return commit
