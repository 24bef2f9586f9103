"""The stand-in's errors, each carrying the status and body GitHub answers with."""

from __future__ import annotations

from typing import Any

DOCS = "https://docs.github.com/rest"


class EmulatorError(Exception):
    """Root of every error the stand-in raises."""


class SeedError(EmulatorError):
    """The seed describes a world that cannot exist (unknown user, bad repo name...)."""


class ContractError(EmulatorError):
    """GitHub's descriptions could not be loaded (run `npm ci --prefix infra/node`)."""


class GitError(EmulatorError):
    """A git command on a bare repository failed."""


class GitHubError(EmulatorError):
    """A request GitHub would refuse; rendered as GitHub's error body and status."""

    status = 400

    def __init__(self, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "documentation_url": DOCS}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body


class NotFound(GitHubError):
    status = 404

    def __init__(self, message: str = "Not Found") -> None:
        super().__init__(message)


class BadCredentials(GitHubError):
    status = 401

    def __init__(self, message: str = "Bad credentials") -> None:
        super().__init__(message)


class RequiresAuthentication(GitHubError):
    status = 401

    def __init__(self) -> None:
        super().__init__("Requires authentication")


class Forbidden(GitHubError):
    status = 403

    def __init__(self, message: str = "Resource not accessible by integration") -> None:
        super().__init__(message)


class Unprocessable(GitHubError):
    """422: the body parsed but is not acceptable (GitHub's `Validation Failed`)."""

    status = 422

    def __init__(self, message: str = "Validation Failed", errors: list[Any] | None = None) -> None:
        super().__init__(message, errors if errors is not None else [])


def invalid(resource: str, field: str, code: str = "invalid", **extra: Any) -> Unprocessable:
    """GitHub's 422 for one bad field, e.g. `invalid("Issue", "title", "missing_field")`."""
    return Unprocessable(errors=[{"resource": resource, "field": field, "code": code, **extra}])


class BadRequest(GitHubError):
    """400: the body is not JSON at all (GitHub's `Problems parsing JSON`)."""

    status = 400

    def __init__(self, message: str = "Problems parsing JSON") -> None:
        super().__init__(message)
