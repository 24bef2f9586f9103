"""Who the sandbox runs as, and the workspace ownership that goes with it.

A non-root runner runs the sandbox as its own uid:gid, so the agent's files
belong to the runner and nothing changes hands. A root runner must not run
the sandbox as root, so it uses the image's `bzzz` user (1000:1000): the
workspace is chowned to it while the sandbox lives and given back on removal,
so the host-side git (running as root) sees its own files again.
"""

from __future__ import annotations

import os
from pathlib import Path

SANDBOX_UID = SANDBOX_GID = 1000


class WorkspaceOwner:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.as_root = os.geteuid() == 0
        uid, gid = (SANDBOX_UID, SANDBOX_GID) if self.as_root else (os.getuid(), os.getgid())
        self.user = f"{uid}:{gid}"
        self._original: tuple[int, int] | None = None

    def take(self) -> None:
        if not self.as_root or self._original is not None:
            return
        stat = self.workspace.stat()
        self._original = (stat.st_uid, stat.st_gid)
        _chown_tree(self.workspace, SANDBOX_UID, SANDBOX_GID)

    def give_back(self) -> None:
        if self._original is None:
            return
        original, self._original = self._original, None
        _chown_tree(self.workspace, *original)


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    # lchown: never follow a symlink the agent planted to a file outside the workspace.
    os.lchown(root, uid, gid)
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            os.lchown(os.path.join(directory, name), uid, gid)
