"""The host copy of a work tree that a preparation container mounts at /workspace."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path


def copy_tree(source: Path, target: Path) -> None:
    """Copy a work tree on the host: links as links (never followed), no FIFOs or devices."""

    def special(folder: str, names: list[str]) -> set[str]:
        kept = (stat.S_ISREG, stat.S_ISDIR, stat.S_ISLNK)
        return {
            n for n in names
            if not any(ok(os.lstat(os.path.join(folder, n)).st_mode) for ok in kept)
        }  # fmt: skip

    shutil.copytree(source, target, symlinks=True, ignore=special)
