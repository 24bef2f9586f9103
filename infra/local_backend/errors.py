"""Errors of the local AWS backend, rooted in one class so the CLI maps them to one line."""

from __future__ import annotations

from bzzz.errors import BzzzError


class LocalBackendError(BzzzError):
    """Base of every deliberate local-backend error."""


class TemplateError(LocalBackendError):
    """template.yaml cannot be read, or uses something the provisioner does not understand."""


class ServerError(LocalBackendError):
    """A local server (moto, DynamoDB Local) is missing, did not start, or did not answer."""


class ProvisionError(LocalBackendError):
    """Creating a resource failed; names the template's logical id."""

    def __init__(self, logical_id: str, problem: str) -> None:
        self.logical_id = logical_id
        self.problem = problem
        super().__init__(f"{logical_id}: {problem}")
