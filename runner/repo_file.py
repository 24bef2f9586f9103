"""A file of the repository read on the host: never through a link, never past a size limit.

The clone is the repository's, so any file in it may be a symbolic link to a
host file (the runner's keys, /proc/self/environ), a FIFO that blocks the
reader forever, or far larger than anything the runner means to hold. The
last path component is opened with O_NOFOLLOW (a link is refused, not
followed) relative to the directory Bzzz made, must be a regular file, and is
read to at most `max_bytes` + 1 bytes. Messages never name a host path.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from runner.errors import RepoFileError


def read_no_follow(root: Path, name: str, max_bytes: int) -> bytes | None:
    """The file's first bytes (at most max_bytes), or None when there is none."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        directory = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise RepoFileError("cannot be opened") from exc
    try:
        fd = os.open(name, flags, dir_fd=directory)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RepoFileError(
                "is a symbolic link; Bzzz does not follow links, so it is not read"
            ) from None
        raise RepoFileError("cannot be opened") from exc
    finally:
        os.close(directory)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RepoFileError("is not a regular file, so it is not read")
        if info.st_size > max_bytes:
            raise RepoFileError(f"larger than {max_bytes} bytes, so it is not read")
        chunks, size = [], 0
        while size <= max_bytes:  # the size may change under us: count what is read
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise RepoFileError("cannot be read") from exc
    finally:
        os.close(fd)
    if size > max_bytes:
        raise RepoFileError(f"larger than {max_bytes} bytes, so it is not read")
    return b"".join(chunks)
