"""The local model server: a real small model behind an OpenAI-compatible API, on loopback.

    server = start_model_server("qwen2.5-coder-0.5b", tied=True)
    server.url      # http://127.0.0.1:PORT  (BZZZ_MODEL_API=openai, BZZZ_MODEL_URL)
    server.alias    # qwen2.5-coder-0.5b-instruct (BZZZ_MODEL)
    server.stop()

The first start installs xllamacpp into .bzzz/model-server/venv (seconds) and
fetches the weights into .bzzz/models (about 0.5 GB for the default model);
later starts reuse both. The launcher runs in that venv as a server process of
infra.local_backend.servers: its own process group, stopped at interpreter exit,
and `tied` also when this process is killed outright. It is ready when
/v1/models answers 200 (503 while the weights load), waited for with a bound.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infra.local_backend.servers import ServerProcess, free_port, start_server
from infra.model_server.venv import ensure_venv
from infra.model_server.weights import DEFAULT_MODEL, ModelFile, ensure_weights, model_file

LAUNCHER = Path(__file__).with_name("launcher.py")
LOAD_TIMEOUT_SECONDS = 180.0  # loading 1 GB of weights on a busy 2-core machine
DEFAULT_MAX_REPLY = 512  # tokens; a tool call or a short patch, at a few tokens a second


@dataclass
class ModelServer:
    """A started model server: its URL, the model's API name, and the process to stop."""

    process: ServerProcess
    model: ModelFile

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def alias(self) -> str:
        return self.model.alias

    def env(self) -> dict[str, str]:
        """The runner's settings that point it at this server."""
        return {"BZZZ_MODEL_API": "openai", "BZZZ_MODEL_URL": self.url, "BZZZ_MODEL": self.alias}

    def stop(self) -> None:
        self.process.stop()


def state_root() -> Path:
    """BZZZ_STATE_DIR (default .bzzz in the working directory)."""
    return Path(os.environ.get("BZZZ_STATE_DIR") or ".bzzz").resolve()


def fetch(name: str = DEFAULT_MODEL, root: Path | None = None) -> tuple[Path, Path]:
    """Install the server and fetch the weights: (the venv's python, the GGUF file)."""
    root = root or state_root()
    model = model_file(name)
    python = ensure_venv(root / "model-server")
    return python, ensure_weights(model, root / "models", python)


def _loaded(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v1/models", timeout=2) as reply:  # noqa: S310 - loopback
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False  # 503 while loading, or not listening yet


def start_model_server(
    name: str = DEFAULT_MODEL,
    *,
    root: Path | None = None,
    port: int | None = None,
    max_reply: int = DEFAULT_MAX_REPLY,
    tied: bool = True,
) -> ModelServer:
    """Start the model server (installing and fetching first when needed); ServerError when it
    does not load in time, with the last line of its log."""
    root = root or state_root()
    model = model_file(name)
    python, weights = fetch(name, root)
    port = port or free_port()
    command = [
        str(python), str(LAUNCHER), "--model", str(weights), "--alias", model.alias,
        "--port", str(port), "--ctx", str(model.window), "--max-reply", str(max_reply),
    ]  # fmt: skip
    process = start_server("model-server", command, port, root / "model-server" / "logs",
                           ready=_loaded, tied=tied, timeout=LOAD_TIMEOUT_SECONDS)  # fmt: skip
    return ModelServer(process, model)
