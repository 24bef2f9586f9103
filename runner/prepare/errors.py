"""Why a repository's setup could not give the task an image; each ends the task failed."""

from __future__ import annotations


class PrepareError(Exception):
    """Base of the preparation errors; the message is fit for the task's reason."""


class FingerprintError(PrepareError):
    """A dependency file cannot be fingerprinted; the message names it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"setup failed: a dependency file {message}")


class SetupFailedError(PrepareError):
    """A setup step failed: its command, exit code and the tail of its output."""

    def __init__(self, command: str, exit_code: int, tail: str, note: str = "") -> None:
        shown = command if len(command) <= 200 else command[:199] + "…"
        super().__init__(f"setup failed: `{shown}` (exit {exit_code}){note}")
        self.command, self.exit_code, self.tail = command, exit_code, tail
