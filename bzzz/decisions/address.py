"""Stable addresses of decision records, and where each lives in the bucket.

    bzzz://OWNER/REPO/ISSUE/ATTEMPT            attempt ATTEMPT of the issue's task
    bzzz://OWNER/REPO/ISSUE/round-N/ATTEMPT    attempt ATTEMPT of review round N on its PR

A review round restarts the task's attempt counter at 1 (the `revise` rule),
so a round's attempts sit under the round, never beside the issue's own.
The object key is the address's path under `records/` plus `.age`: the
runner's policy may put objects under `records/` and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bzzz.decisions.errors import AddressError
from bzzz.tasks.keys import REPO_PATTERN

SCHEME = "bzzz://"
KEY_PREFIX = "records/"
SUFFIX = ".age"
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")
_ROUND = re.compile(r"round-([1-9][0-9]{0,4})")


@dataclass(frozen=True, order=True)
class Address:
    repo: str  # owner/name, as GitHub spells it
    issue: int
    attempt: int
    round: int = 0  # 0: the issue's own attempts; N: review round N

    def __post_init__(self) -> None:
        if not REPO_PATTERN.fullmatch(self.repo) or self.repo.endswith(("/.", "/..")):
            raise AddressError("repo", f"{self.repo!r} is not owner/name")
        for name, value, low in (("issue", self.issue, 1), ("attempt", self.attempt, 1),
                                 ("round", self.round, 0)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise AddressError(name, f"{value!r} is not a number from {low}")

    @property
    def owner(self) -> str:
        return self.repo.partition("/")[0]

    @property
    def task_key(self) -> str:
        return f"{self.repo}#{self.issue}"

    @property
    def path(self) -> str:
        middle = f"/round-{self.round}" if self.round else ""
        return f"{self.repo}/{self.issue}{middle}/{self.attempt}"

    @property
    def object_key(self) -> str:
        return f"{KEY_PREFIX}{self.path}{SUFFIX}"

    def __str__(self) -> str:
        return SCHEME + self.path


def parse_address(text: str) -> Address:
    """`bzzz://OWNER/REPO/ISSUE[/round-N]/ATTEMPT` -> Address; AddressError naming the bad part."""
    if not text.startswith(SCHEME):
        raise AddressError("address", f"{text[:200]!r} does not start with {SCHEME}")
    parts = text[len(SCHEME) :].split("/")
    if len(parts) not in (4, 5):
        raise AddressError("address", "must be bzzz://OWNER/REPO/ISSUE[/round-N]/ATTEMPT")
    repo, issue, attempt = f"{parts[0]}/{parts[1]}", parts[2], parts[-1]
    round_number = 0
    if len(parts) == 5:
        found = _ROUND.fullmatch(parts[3])
        if found is None:
            raise AddressError("round", f"{parts[3][:50]!r} is not round-N")
        round_number = int(found.group(1))
    for name, value in (("issue", issue), ("attempt", attempt)):
        if not _NUMBER.fullmatch(value):
            raise AddressError(name, f"{value[:50]!r} is not a number from 1")
    return Address(repo, int(issue), int(attempt), round_number)


def address_of_key(object_key: str) -> Address | None:
    """The address an object key holds, or None for an object that is not a record."""
    if not object_key.startswith(KEY_PREFIX) or not object_key.endswith(SUFFIX):
        return None
    try:
        return parse_address(SCHEME + object_key[len(KEY_PREFIX) : -len(SUFFIX)])
    except AddressError:
        return None


def prefix_of(text: str) -> str:
    """The object-key prefix of a partial address: `bzzz://OWNER[/REPO[/ISSUE]]` (or "")."""
    rest = text[len(SCHEME) :] if text.startswith(SCHEME) else text
    rest = rest.strip("/")
    if not rest:
        return KEY_PREFIX
    parts = rest.split("/")
    if len(parts) > 3 or any(not p or p in (".", "..") for p in parts):
        raise AddressError("prefix", "must be bzzz://OWNER[/REPO[/ISSUE]]")
    if len(parts) == 3 and not _NUMBER.fullmatch(parts[2]):
        raise AddressError("issue", f"{parts[2][:50]!r} is not a number from 1")
    return KEY_PREFIX + "/".join(parts) + "/"
