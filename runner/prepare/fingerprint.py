"""The dependency fingerprint: which prepared image a task's sandbox starts from.

    fingerprint(base_image_id, steps, workspace, patterns, extra=())  # 64 hex digits

sha256 over the base image's id, the setup steps, and the name and content of
every dependency file the patterns match (runner.prepare.spec), plus `extra`
(e.g. the offline mode and the wheelhouse's listing). Same inputs, same
image: a second task whose dependencies did not change reuses it.

The files are the repository's, read on the host with runner.repo_file: no
folder or file is reached through a symbolic link, each is at most
MAX_FILE_BYTES and there are at most MAX_FILES of them. Only regular files
count: a dependency file that is a link, a FIFO or a device, or one under a
folder that is a link, is left out (never followed, never opened). A matching
file too large to read is a FingerprintError naming the path (the repository's
own path, neutralised where it is posted).
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from runner.errors import RepoFileError
from runner.prepare.errors import FingerprintError
from runner.repo_file import list_no_follow, read_no_follow

MAX_FILE_BYTES = 8_000_000
MAX_FILES = 200
LIST_LIMIT = 100_000  # entries looked at in one folder: a huge folder is not read to its end
VERSION = b"bzzz-prep-1"  # bump when what the fingerprint covers changes


def fingerprint(
    base_image_id: str,
    steps: Sequence[str],
    workspace: Path,
    patterns: Sequence[str],
    extra: Iterable[str] = (),
) -> str:
    digest = hashlib.sha256(VERSION)

    def part(label: bytes, data: bytes) -> None:
        # Length-prefixed, so no two different inputs run together into the same bytes.
        digest.update(label + len(data).to_bytes(8, "big") + data)

    part(b"image", base_image_id.encode())
    for step in steps:
        part(b"step", step.encode())
    for item in extra:
        part(b"extra", item.encode())
    for name, content in dependency_files(workspace, patterns):
        part(b"file", name.encode())
        part(b"content", content)
    return digest.hexdigest()


def dependency_files(workspace: Path, patterns: Sequence[str]) -> list[tuple[str, bytes]]:
    """(path, content) of each regular file a pattern matches, sorted by path."""
    found: dict[str, bytes] = {}
    for pattern in patterns:
        *folders, last = pattern.split("/")
        folder = "/".join(folders) or "."
        try:
            names = list_no_follow(workspace, folder, LIST_LIMIT)
        except RepoFileError:  # a link (or a file) where the folder should be: nothing counts
            continue
        prefix = "".join(f"{part}/" for part in folders)
        for name in sorted(n for n in names or () if fnmatch.fnmatchcase(n, last)):
            found[prefix + name] = _content(workspace, prefix + name)
            if len(found) > MAX_FILES:
                raise FingerprintError(f"pattern matches more than {MAX_FILES} files")
    return sorted(found.items())


def _content(workspace: Path, name: str) -> bytes:
    try:
        data = read_no_follow(workspace, name, MAX_FILE_BYTES)
    except RepoFileError as exc:
        raise FingerprintError(f"`{name}` {exc}") from None
    return b"missing" if data is None else data  # None: gone since the listing
