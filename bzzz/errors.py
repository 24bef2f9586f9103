"""Every error Bzzz raises on purpose, rooted in one base class.

Callers catch `BzzzError` at a boundary (an HTTP reply, a CLI exit, a queue
message's fate) and map it there; nothing below that boundary formats replies.
"""

from __future__ import annotations


class BzzzError(Exception):
    """Base of every deliberate Bzzz error."""


class ConfigError(BzzzError):
    """A required environment variable is missing or malformed."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


class InputError(BzzzError):
    """A value from outside (a message, a key, a request) is malformed; names the field."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"invalid {field}: {problem}")


class NotFoundError(InputError):
    """A request names something (a project, a task) that does not exist."""


class TransitionError(BzzzError):
    """A task transition was refused; says what the task is now and who holds it.

    `version`, `attempt` and `lease_expires_at` describe the task as the refused
    write found it (None when it does not exist).
    """

    def __init__(
        self,
        key: str,
        transition: str,
        state: str | None,
        owner: str | None,
        reason: str,
        *,
        version: int | None = None,
        attempt: int | None = None,
        lease_expires_at: float = 0.0,
    ) -> None:
        self.key = key
        self.transition = transition
        self.state = state
        self.owner = owner
        self.reason = reason
        self.version = version
        self.attempt = attempt
        self.lease_expires_at = lease_expires_at
        shown_state = state if state is not None else "absent"
        shown_owner = owner if owner else "nobody"
        super().__init__(
            f"{transition} refused for {key}: {reason} "
            f"(state={shown_state}, lease owner={shown_owner})"
        )


class TaskNotFoundError(TransitionError):
    """The task does not exist."""


class LeaseLostError(TransitionError):
    """The caller is not (or no longer) the task's lease owner."""


class MessageError(InputError):
    """An envelope or its payload does not match its JSON Schema."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.args = (f"invalid message at {field}: {problem}",)

    def __str__(self) -> str:
        return f"invalid message at {self.field}: {self.problem}"


class BusError(BzzzError):
    """The message bus (SNS/SQS) refused or failed an operation."""


class GitHubError(BzzzError):
    """GitHub refused or failed a request."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"GitHub answered {status}: {message}")


class GitHubNotFoundError(GitHubError):
    """The repository, issue, comment or user does not exist (or is hidden from us)."""


class GitHubRateLimitError(GitHubError):
    """The rate limit is spent; try again after `retry_after` seconds."""

    def __init__(self, status: int, message: str, retry_after: float) -> None:
        super().__init__(status, message)
        self.retry_after = retry_after


class ApprovalError(BzzzError):
    """The issue changed after a writer approved it: no agent may read the new text yet."""
