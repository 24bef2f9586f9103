"""Files of the repository read on the host: never through a link, never past a size limit.

The clone is the repository's, so any file in it may be a symbolic link to a
host file (the runner's keys, /proc/self/environ), a FIFO that blocks the
reader forever, or far larger than anything the runner means to hold. Every
component of the path (`.github`, then `bzzz.yml`) is opened with O_NOFOLLOW
relative to the directory before it, starting at the directory Bzzz made, so a
link anywhere on the way is refused, not followed; the file must be a regular
file and is read to at most `max_bytes` + 1 bytes. Messages never name a host path.

    read_no_follow(root, ".github/bzzz.yml", 64_000)   # bytes, or None when absent
    list_no_follow(root, "tests", limit=10_000)         # regular files' names, or None
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.errors import RepoFileError

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_LINK = "is a symbolic link; Bzzz does not follow links, so it is not read"


@contextmanager
def _directory(root: Path, parts: list[str]) -> Iterator[int | None]:
    """An fd of root/parts..., each step opened without following a link; None when absent."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise RepoFileError("cannot be opened") from exc
    try:
        for part in parts:
            if part in ("", ".", ".."):
                raise RepoFileError("is not a plain relative path")
            try:
                child = os.open(part, _DIR, dir_fd=fd)
            except FileNotFoundError:
                yield None
                return
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    # ENOTDIR: a link (O_NOFOLLOW on a link to a directory) or a plain file.
                    raise RepoFileError(
                        f"is under `{part}`, which is a link or not a folder"
                    ) from None
                raise RepoFileError("cannot be opened") from exc
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def read_no_follow(root: Path, name: str, max_bytes: int) -> bytes | None:
    """The file's bytes (at most max_bytes), or None when it (or a folder on the way) is absent."""
    *folders, leaf = name.split("/")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    with _directory(root, folders) as directory:
        if directory is None:
            return None
        try:
            fd = os.open(leaf, flags, dir_fd=directory)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise RepoFileError(_LINK) from None
            raise RepoFileError("cannot be opened") from exc
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


def list_no_follow(root: Path, name: str, limit: int, *, folders: bool = False) -> list[str] | None:
    """Names of the regular files (not links) in folder `name`, the first `limit` entries seen.

    `folders`: the names of its folders (not links to folders) instead. None when the
    folder is absent; a link on the way raises RepoFileError.
    """
    with _directory(root, [part for part in name.split("/") if part != "."]) as directory:
        if directory is None:
            return None
        found: list[str] = []
        with os.scandir(directory) as entries:
            for seen, entry in enumerate(entries):
                if seen >= limit:
                    break
                wanted = entry.is_dir if folders else entry.is_file
                if wanted(follow_symlinks=False):
                    found.append(entry.name)
        return found
