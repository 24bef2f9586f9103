"""Import an existing local git repository into a stand-in's bare repository.

    branch = import_repository(bare_git_dir, Path("~/src/mylib"), ref="HEAD", depth=50)

The last `depth` commits reachable from `ref` (0: the whole history) are
fetched by host git into the bare repository as its default branch, which is
the source's current branch name when `ref` is HEAD (else "main"), unless the
caller names one. Nothing of the source is checked out or executed on the host:

- the source is read by `git fetch` over the local `file://` transport, i.e. by
  `git upload-pack`, which reads objects and refs only; no work tree, no index;
- every git command runs with hooks (`core.hooksPath=/dev/null`), fsmonitor
  and the system and user configuration off;
- discovery never climbs above the given directory (`GIT_CEILING_DIRECTORIES`),
  so a plain folder inside some other repository is refused, not imported;
- the imported tree is data: a symbolic link in it stays a link *object*
  (mode 120000) in the bare repository and is never resolved on the host.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from infra.github_emulator.errors import SeedError

DEFAULT_DEPTH = 50
_TIMEOUT = 600  # a large repository's history takes a while to pack
_SAFE = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false")
_REF = re.compile(r"^(HEAD|[A-Za-z0-9][A-Za-z0-9._/-]*)$")


def _env(ceiling: Path | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.devnull,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
    }
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling)
    return env


def _git(args: list[str], *, ceiling: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *_SAFE, *args],
        capture_output=True,
        text=True,
        env=_env(ceiling),
        timeout=_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def source_git_dir(source: Path) -> Path:
    """The git directory of the repository at `source` (a work tree's top, or a bare repo)."""
    top = Path(os.path.abspath(source))
    if not top.is_dir():
        raise SeedError(f"{source}: not a directory")
    asked = ["-C", str(top), "rev-parse", "--absolute-git-dir", "--is-bare-repository"]
    found = _git([*asked, "--show-prefix"], ceiling=top.parent)
    lines = found.stdout.splitlines()
    if found.returncode != 0 or len(lines) < 2:
        why = found.stderr.strip().splitlines()
        # "dubious ownership" and the like are worth saying; "not a git repository" is ours.
        detail = f" ({why[0]})" if why and "not a git repository" not in why[0] else ""
        raise SeedError(f"{source}: not a git repository{detail}")
    git_dir, bare, prefix = Path(lines[0]), lines[1] == "true", "".join(lines[2:]).strip()
    if not bare and prefix:
        raise SeedError(f"{source}: a folder inside a repository, not its top")
    return git_dir


def check_importable(source: Path, ref: str = "HEAD") -> Path:
    """The git directory of `source` when `ref` names a commit there; else SeedError."""
    git_dir = source_git_dir(source)
    head = _git([f"--git-dir={git_dir}", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
    if head.returncode != 0:
        empty = not _git([f"--git-dir={git_dir}", "for-each-ref", "--count=1"]).stdout.strip()
        raise SeedError(
            f"{source}: an empty repository (no commits yet)"
            if empty
            else f"{source}: {ref} names no commit"
        )
    return git_dir


def current_branch(git_dir: Path) -> str | None:
    """The branch HEAD names, or None when HEAD is detached."""
    done = _git([f"--git-dir={git_dir}", "symbolic-ref", "--quiet", "--short", "HEAD"])
    name = done.stdout.strip()
    return name if done.returncode == 0 and _REF.match(name) and name != "HEAD" else None


def import_repository(
    bare: Path,
    source: Path,
    *,
    ref: str = "HEAD",
    depth: int = DEFAULT_DEPTH,
    branch: str | None = None,
) -> str:
    """Fetch `ref` of `source` (its last `depth` commits) into `bare`; return the branch name."""
    if not _REF.match(ref) or ".." in ref:
        raise SeedError(f"import ref {ref!r}: not a branch, tag or HEAD")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise SeedError("import depth: must be a whole number >= 0 (0: the whole history)")
    git_dir = check_importable(source, ref)
    name = branch or (current_branch(git_dir) if ref == "HEAD" else None) or "main"
    if not _REF.match(name) or ".." in name:
        raise SeedError(f"import branch {name!r}: not a valid branch name")
    fetch = [f"--git-dir={bare}", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head"]
    if depth:
        fetch.append(f"--depth={depth}")
    done = _git([*fetch, f"file://{git_dir}", f"+{ref}:refs/heads/{name}"])
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["git fetch failed"])[-1]
        raise SeedError(f"{source}: cannot import: {last}")
    _git([f"--git-dir={bare}", "symbolic-ref", "HEAD", f"refs/heads/{name}"])
    return name
