"""The stand-in's world, in memory: users, repositories, issues, pull requests, installations.

Git content (branches, commits) is not held here: it lives in each repository's
bare git directory on disk, which `git http-backend` serves and updates.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# GitHub's permission levels from weakest to strongest.
ROLES = ("read", "triage", "write", "maintain", "admin")


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # or "Organization", "Bot"
    name: str | None = None
    email: str | None = None
    created_at: datetime = field(default_factory=now)


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Reaction:
    id: int
    user: str
    content: str
    created_at: datetime = field(default_factory=now)


@dataclass
class Comment:
    id: int
    repo: str
    issue_number: int
    user: str
    body: str
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class Review:
    id: int
    user: str
    body: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED
    commit_id: str
    submitted_at: datetime = field(default_factory=now)


@dataclass
class ReviewComment:
    """A comment on one line of a pull request's diff (GitHub's pull request review comment)."""

    id: int
    review_id: int
    user: str
    body: str
    path: str
    line: int
    side: str  # RIGHT (the head's lines) or LEFT (the base's)
    position: int
    diff_hunk: str
    commit_id: str
    in_reply_to: int | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass
class PullRequest:
    id: int
    head: str  # branch name in the same repository
    base: str
    draft: bool = False
    maintainer_can_modify: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    reviews: list[Review] = field(default_factory=list)
    comments: list[ReviewComment] = field(default_factory=list)


@dataclass
class IssueEvent:
    """One entry of an issue's events (GET …/issues/{number}/events): who did what, when."""

    id: int
    event: str  # "labeled", "unlabeled"
    actor: str
    label: str | None = None
    created_at: datetime = field(default_factory=now)


@dataclass
class Issue:
    """An issue; a pull request is an issue with `pull` set (one number space, as on GitHub)."""

    id: int
    number: int
    title: str
    user: str
    body: str | None = None
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    locked: bool = False
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    closed_at: datetime | None = None
    reactions: list[Reaction] = field(default_factory=list)
    pull: PullRequest | None = None
    events: list[IssueEvent] = field(default_factory=list)


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    git_dir: Path
    private: bool = False
    description: str | None = None
    default_branch: str = "main"
    labels: dict[str, Label] = field(default_factory=dict)  # key: lower-cased name
    issues: dict[int, Issue] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> role
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def next_number(self) -> int:
        return max(self.issues, default=0) + 1

    def role_of(self, login: str) -> str | None:
        if login.lower() == self.owner.lower():
            return "admin"
        for who, role in self.collaborators.items():
            if who.lower() == login.lower():
                return role
        return None


@dataclass
class App:
    id: int
    slug: str
    owner: str
    name: str


@dataclass
class Installation:
    id: int
    app_id: int
    account: str
    repos: list[str]  # full names; GitHub's "selected" repository selection
    permissions: dict[str, str]
    events: list[str]
    created_at: datetime = field(default_factory=now)


@dataclass
class Token:
    """A credential: a user's personal token, or a minted installation token."""

    value: str
    login: str | None = None  # user tokens
    installation_id: int | None = None  # installation tokens
    repos: list[str] | None = None  # installation tokens: full names it may touch
    permissions: dict[str, str] = field(default_factory=dict)
    expires_at: datetime | None = None


@dataclass
class WebhookConfig:
    url: str | None = None
    secret: str | None = None


@dataclass
class World:
    root: Path  # where the bare repositories live
    users: dict[str, User] = field(default_factory=dict)  # key: lower-cased login
    repos: dict[str, Repo] = field(default_factory=dict)  # key: lower-cased full name
    apps: dict[int, App] = field(default_factory=dict)
    installations: dict[int, Installation] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    base_url: str = "http://127.0.0.1"
    # One lock for all state: handlers are short and this keeps every change atomic.
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def new_id(self) -> int:
        return next(self._ids)

    def user(self, login: str) -> User:
        found = self.users.get(login.lower())
        if found is None:
            found = User(login=login, id=self.new_id())
            self.users[login.lower()] = found
        return found

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())

    def installation_for(self, full_name: str) -> Installation | None:
        for inst in self.installations.values():
            if full_name.lower() in (r.lower() for r in inst.repos):
                return inst
        return None

    def snapshot(self) -> dict[str, Any]:
        """Counts for the admin endpoint: enough to see the world is what a test expects."""
        return {
            "users": sorted(u.login for u in self.users.values()),
            "repos": sorted(r.full_name for r in self.repos.values()),
            "installations": sorted(self.installations),
        }
