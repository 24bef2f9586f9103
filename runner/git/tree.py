"""The work tree after the sandbox is gone: measured, and cleared of what git would obey.

The sandbox may leave anything in the tree. Before the host's git reads it,
`seal` walks it without following a single link and

- removes every entry named `.git` (any case) at any depth: the sandbox's
  throwaway repository at the top, and nested repositories, whose own config
  (fsmonitor, hooks) a `git status` of the parent would otherwise run;
- removes FIFOs, sockets and device nodes, which git cannot add and would
  block on;
- adds up the sizes (lstat), and fails with WorkspaceTooLargeError past the
  quota, before git reads a byte.

Symlinks stay what they are: git records a link, never what it points at.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from runner.git.host_git import GitError

MB = 1024 * 1024


class WorkspaceTooLargeError(GitError):
    """The sandbox left more in the work tree than the task's quota allows."""


@dataclass(frozen=True)
class TreeSize:
    bytes: int
    files: int
    removed: tuple[str, ...]  # what seal took out, relative to the tree


def seal(root: Path, quota_bytes: int) -> TreeSize:
    """Measure the tree, then clear it for git; WorkspaceTooLargeError past the quota."""
    total, files, removed = 0, 0, []
    for directory, dirs, names in os.walk(root, followlinks=False):
        for name in list(dirs) + names:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            total += info.st_size
            files += 1
            relative = os.path.relpath(path, root)
            if name.lower() == ".git":
                _remove(path, info)
                removed.append(relative)
                if name in dirs:
                    dirs.remove(name)
            elif not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)
                      or stat.S_ISLNK(info.st_mode)):  # fmt: skip
                os.unlink(path)
                removed.append(relative)
    if total > quota_bytes:
        raise WorkspaceTooLargeError(
            f"the workspace holds {total / MB:.1f} MB in {files} files, over the task's quota "
            f"of {quota_bytes / MB:.0f} MB (BZZZ_WORKSPACE_QUOTA_MB); nothing was committed"
        )
    return TreeSize(total, files, tuple(removed))


def _remove(path: str, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path)  # never follows links inside (fd-based on Linux)
    else:
        os.unlink(path)
