"""Who may summon and direct agents: collaborators with write access or above."""

from __future__ import annotations

# GitHub's `role_name` values of the collaborator permission endpoint, strongest first.
ROLES = ("admin", "maintain", "write", "triage", "read", "none")
WRITE_ROLES = frozenset({"admin", "maintain", "write"})


def is_writer(role: str, user: str = "", allow_list: frozenset[str] = frozenset()) -> bool:
    """True for write, maintain and admin, or a login on the configured allow-list."""
    return role in WRITE_ROLES or (bool(user) and user.lower() in allow_list)
