"""Task keys: `owner/repo#number`, the one identity of a task everywhere."""

from __future__ import annotations

import re

from bzzz.errors import InputError

# GitHub's rules: owner up to 39 of [A-Za-z0-9-] not starting with '-';
# repository up to 100 of [A-Za-z0-9._-]. Kept in step with schemas/task-key.json.
REPO_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
KEY_PATTERN = re.compile(rf"({REPO_PATTERN.pattern})#([1-9][0-9]{{0,9}})")


def task_key(repo: str, number: int) -> str:
    if not REPO_PATTERN.fullmatch(repo):
        raise InputError("repo", f"{repo!r} is not owner/name")
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 10**10:
        raise InputError("number", f"{number!r} is not an issue number")
    return f"{repo}#{number}"


def parse_task_key(key: str) -> tuple[str, int]:
    """Split `owner/repo#number`; raise InputError naming `task` when malformed."""
    match = KEY_PATTERN.fullmatch(key)
    if match is None:
        raise InputError("task", f"{key!r} is not owner/repo#number")
    return match.group(1), int(match.group(2))
