"""Who is looking at the dashboard, and what that lets them see and do.

A GitHub user reads the repositories where the App is installed and they have
explicit permission (GitHub's `/user/installations/{id}/repositories`), and writes
those where GitHub says `push`; only writers see the commands an agent ran and may
act. An operator (signed in with the API key) reads and writes everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from bzzz.errors import InputError


class ForbiddenError(InputError):
    """The viewer may not see or do this (the field names what was asked for)."""


@dataclass(frozen=True)
class Access:
    login: str
    operator: bool = False
    readable: frozenset[str] = frozenset()  # lower-cased `owner/name`
    writable: frozenset[str] = frozenset()

    @classmethod
    def for_operator(cls) -> Access:
        return cls(login="operator", operator=True)

    @property
    def actor(self) -> str:
        """The login recorded on what this viewer does (`github:<login>` in the audit log)."""
        return "dashboard-operator" if self.operator else self.login

    def reads(self, repo: str) -> bool:
        return self.operator or repo.lower() in self.readable

    def writes(self, repo: str) -> bool:
        return self.operator or repo.lower() in self.writable

    def require_read(self, repo: str, field: str = "key") -> None:
        if not self.reads(repo):
            # Told apart from a missing task by nobody: the route answers 404 for both.
            raise ForbiddenError(field, "no such task")

    def require_write(self, repo: str, field: str = "key") -> None:
        self.require_read(repo, field)
        if not self.writes(repo):
            raise ForbiddenError(field, f"{self.login} cannot write to {repo}")
