"""The stand-in's errors, rooted in one base class, each carrying Ollama's HTTP status.

Ollama answers every failure as `{"error": "<message>"}` with an HTTP status;
`OllamaError.status` is that status and `str(error)` the message, so the HTTP
layer maps any of them with one handler.
"""

from __future__ import annotations


class OllamaEmulatorError(Exception):
    """Base of every error the stand-in raises."""

    status: int = 500


class ScenarioError(OllamaEmulatorError):
    """A scenario file or dict that does not describe a valid scenario."""

    status = 400


class OllamaError(OllamaEmulatorError):
    """An error Ollama itself would answer, with its status and message."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def model_not_found(name: str) -> OllamaError:
    # The exact wording of Ollama's chat/generate handlers for a model not pulled.
    return OllamaError(f'model "{name}" not found, try pulling it first', 404)


def show_model_not_found(name: str) -> OllamaError:
    # /api/show words the same condition differently (server/routes.go, ShowHandler).
    return OllamaError(f"model '{name}' not found", 404)


def bad_request(message: str) -> OllamaError:
    return OllamaError(message, 400)


class ScriptError(OllamaError):
    """The scenario has no reply for this request: a test under-scripted the model."""

    def __init__(self, message: str) -> None:
        # 500 so that a runner treats it as a model failure, and the message says why.
        super().__init__(f"ollama emulator: {message}", 500)
