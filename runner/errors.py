"""The runner's sandbox errors, rooted in one base class.

A command that fails inside the sandbox is not an error: it comes back as a
CommandResult. These are for the sandbox itself failing - the engine refused,
the image is missing, the container vanished - and each wraps the docker SDK
exception that caused it (`raise ... from exc`).
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base of every sandbox error."""


class ImageBuildError(SandboxError):
    """The default image could not be built; the message says what is missing."""


class ImageNotFoundError(SandboxError):
    """The configured image is not on the engine (build it, or pull it)."""


class SandboxStartError(SandboxError):
    """The engine refused to create or start the container."""


class SandboxGoneError(SandboxError):
    """The container stopped or disappeared while in use; the sandbox cannot run commands."""


class EngineUnavailableError(SandboxError):
    """The container engine did not answer."""


class ModelError(Exception):
    """Base of every model (Ollama) error."""


class ModelUnavailableError(ModelError):
    """Ollama did not answer (refused, timed out, broke off, 5xx): release the task, retry."""


class ModelNotFoundError(ModelError):
    """The configured model is not on the Ollama host (`ollama pull` it, or configure another)."""


class ModelResponseError(ModelError):
    """Ollama refused a request for a reason other than the two above (e.g. a 400)."""


class RunnerStartError(Exception):
    """The runner cannot start; the message is the one line the operator needs to fix it."""


class TokenRefusedError(Exception):
    """The control plane gave no repository token (lease not held or expired, bad signature)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"the control plane refused a token ({status}): {message}")


class RepoFileError(Exception):
    """A repository file the host would read is refused (a link, not a regular file, too big).

    The message is safe for a public comment: it never names a host path.
    """
