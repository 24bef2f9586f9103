"""A remote branch's files on the host, fetched and exported by host git alone.

    commit = fetch_tree(url, "refs/heads/bzzz/1-fix", dest, scratch, token=None)

The branch is fetched (depth 1) into a throwaway bare repository under `scratch` and
its tree written under `dest` through `HostGit.export` (tarfile's `data` filter): what
the branch holds is data, never a hook, a config or a link followed on the host.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from runner.git.host_git import HostGit


def fetch_tree(url: str, ref: str, dest: Path, scratch: Path, token: str | None = None) -> str:
    """Export `ref` of the repository at `url` into `dest`; the commit it was."""
    scratch.mkdir(parents=True, exist_ok=True)
    git = HostGit(
        scratch / "fetch.git", scratch / "no-tree", scratch / "empty",
        (lambda: token) if token else None,
    )  # fmt: skip
    git.work_tree.mkdir(exist_ok=True)
    try:
        git.run("init", "--quiet", "--bare", str(git.git_dir), cwd=scratch, in_repo=False)
        git.run("fetch", "--quiet", "--no-tags", "--depth", "1", url, ref, url=url, token=token)
        commit = git.run("rev-parse", "FETCH_HEAD").strip()
        git.export(commit, dest)
        return commit
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def diff_refs(url: str, base: str, ref: str, scratch: Path, limit: int = 2_000_000) -> str:
    """The diff from `base` to `ref` of the repository at `url` (at most `limit` bytes)."""
    scratch.mkdir(parents=True, exist_ok=True)
    git = HostGit(scratch / "diff.git", scratch / "no-tree", scratch / "empty")
    git.work_tree.mkdir(exist_ok=True)
    try:
        git.run("init", "--quiet", "--bare", str(git.git_dir), cwd=scratch, in_repo=False)
        for name, wanted in (("base", base), ("head", ref)):
            git.run("fetch", "--quiet", "--no-tags", "--depth", "1", url,
                    f"{wanted}:refs/bzzz/{name}", url=url)  # fmt: skip
        args = ["diff", "--binary", "--no-ext-diff", "--no-textconv", "refs/bzzz/base",
                "refs/bzzz/head"]  # fmt: skip
        text, _truncated = git.stream(args, limit)
        return text
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
