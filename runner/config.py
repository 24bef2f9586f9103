"""The runner's own settings, read from the environment in one place.

The control plane's settings (tables, topic, queues, lease length) come from
`bzzz.config.load_settings`; these are what only a runner needs. Nothing is
read at import time.

    BZZZ_RUNNER_ID               agent id in the agents table (default: runner-<host>-<pid>)
    OLLAMA_HOST                  the Ollama server (default http://127.0.0.1:11434)
    BZZZ_MODEL                   model name, required (e.g. qwen2.5-coder:7b)
    BZZZ_MODEL_API               ollama (default) or openai: an OpenAI-compatible server
                                 (llama.cpp's server, vLLM, LM Studio) at BZZZ_MODEL_URL
    BZZZ_MODEL_URL               that server's URL (default: OLLAMA_HOST's value)
    BZZZ_MODEL_API_KEY           its bearer token, if it wants one
    BZZZ_MODEL_TOOLS             off: the text protocol even if the model calls tools
    BZZZ_NUM_CTX                 context length passed to the model (default auto: the
                                 model's own window, at most BZZZ_MAX_NUM_CTX)
    BZZZ_RUNNER_CAPACITY         tasks in flight at once (default 1)
    BZZZ_STATE_DIR               workspaces, trajectories, image lock (default .bzzz)
    BZZZ_RUNNER_GRACE_SECONDS    on SIGTERM, how long tasks may finish (default 30)
    BZZZ_PROGRESS_SECONDS        least time between two task.progress messages (default 5)
    BZZZ_HEARTBEAT_SECONDS       lease heartbeat period (default: a third of the lease)
    BZZZ_SANDBOX_IMAGE           default sandbox image (default bzzz-sandbox:latest)
    BZZZ_RUNNER_PROGRESS         "tty" (default: when stderr is a terminal), "off"
    BZZZ_HMMM                    "off" skips the plan review with peers (default on)
    BZZZ_HMMM_WAIT_SECONDS       how long an author waits for peers' feedback (default 120)
    BZZZ_CONTROL_PLANE_URL       the control plane's HTTP API: repository tokens per task
    GITHUB_TOKEN                 development only, without a control plane (not scoped)
    (never GITHUB_APP_PRIVATE_KEY: the runner refuses to start with it; docs/runner-credentials.md)
    BZZZ_WORKSPACE_QUOTA_MB      most a task's work tree may hold when the sandbox ends (2048)
    BZZZ_MAX_* , BZZZ_ALLOWED_IMAGES   what .bzzz.yml may ask for at most (runner.repo_limits)
    BZZZ_SETUP_NETWORK, BZZZ_WHEELHOUSE, BZZZ_MAX_SETUP_SECONDS, BZZZ_PREP_KEEP
                                 preparation containers for `setup:` (runner.prepare.settings)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from bzzz.errors import ConfigError
from runner.prepare.settings import PrepareSettings, load_prepare_settings
from runner.repo_limits import RepoLimits, load_repo_limits


@dataclass(frozen=True)
class RunnerSettings:
    runner_id: str
    ollama_host: str
    model: str
    num_ctx: int | None = None  # None: sized from the model, at most repo_limits.num_ctx
    model_api: str = "ollama"  # or "openai"; ollama_host is then the OpenAI-compatible URL
    model_api_key: str | None = None
    model_tools: bool = True
    capacity: int = 1
    state_dir: Path = Path(".bzzz")
    grace_seconds: float = 30.0
    progress_seconds: float = 5.0
    heartbeat_seconds: float | None = None
    sandbox_image: str = "bzzz-sandbox:latest"
    terminal_progress: bool = False
    capabilities: frozenset[str] = frozenset({"python", "git", "sandbox"})
    hmmm: bool = True
    hmmm_wait_seconds: float = 120.0
    control_plane_url: str | None = None
    workspace_quota_mb: int = 2048
    # What a repository's .bzzz.yml may ask for at most; sandbox_image is allowed besides.
    repo_limits: RepoLimits = field(default_factory=RepoLimits)
    # Preparation containers: their network, the offline wheelhouse, time, images kept.
    prepare: PrepareSettings = field(default_factory=PrepareSettings)

    def with_overrides(self, **changes: object) -> RunnerSettings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def heartbeat_every(self, lease_seconds: float) -> float:
        # Three heartbeats per lease: one lost write does not lose the lease.
        return self.heartbeat_seconds or max(lease_seconds / 3, 0.2)


def _number(env: Mapping[str, str], variable: str, default: float, kind: type = float) -> float:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(variable, f"must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(variable, f"must be above 0, got {raw}")
    return float(value)


def load_runner_settings(environ: Mapping[str, str] | None = None) -> RunnerSettings:
    """Read and check the runner's variables; ConfigError names the first bad one."""
    env = os.environ if environ is None else environ
    model = env.get("BZZZ_MODEL", "").strip()
    if not model:
        raise ConfigError("BZZZ_MODEL", "missing: the Ollama model to use, e.g. qwen2.5-coder:7b")
    api = env.get("BZZZ_MODEL_API", "").strip().lower() or "ollama"
    if api not in ("ollama", "openai"):
        raise ConfigError("BZZZ_MODEL_API", f"must be ollama or openai, got {api!r}")
    host = env.get("OLLAMA_HOST", "").strip() or "http://127.0.0.1:11434"
    if api == "openai":
        host = env.get("BZZZ_MODEL_URL", "").strip() or env.get("OLLAMA_HOST", "").strip()
        if not host:
            raise ConfigError("BZZZ_MODEL_URL", "missing: the OpenAI-compatible server's URL")
    if "://" not in host:
        host = f"http://{host}"
    heartbeat = env.get("BZZZ_HEARTBEAT_SECONDS", "").strip()
    progress_mode = env.get("BZZZ_RUNNER_PROGRESS", "").strip().lower()
    return RunnerSettings(
        runner_id=env.get("BZZZ_RUNNER_ID", "").strip()
        or f"runner-{socket.gethostname()}-{os.getpid()}",
        ollama_host=host.rstrip("/"),
        model=model,
        num_ctx=_num_ctx(env),
        model_api=api,
        model_api_key=env.get("BZZZ_MODEL_API_KEY", "").strip() or None,
        model_tools=env.get("BZZZ_MODEL_TOOLS", "").strip().lower() not in ("off", "0", "no"),
        capacity=int(_number(env, "BZZZ_RUNNER_CAPACITY", 1, int)),
        state_dir=Path(env.get("BZZZ_STATE_DIR", "").strip() or ".bzzz").absolute(),
        grace_seconds=_number(env, "BZZZ_RUNNER_GRACE_SECONDS", 30.0),
        progress_seconds=_number(env, "BZZZ_PROGRESS_SECONDS", 5.0),
        heartbeat_seconds=_number(env, "BZZZ_HEARTBEAT_SECONDS", 1.0) if heartbeat else None,
        sandbox_image=env.get("BZZZ_SANDBOX_IMAGE", "").strip() or "bzzz-sandbox:latest",
        terminal_progress=progress_mode == "tty" or (progress_mode != "off" and os.isatty(2)),
        hmmm=env.get("BZZZ_HMMM", "").strip().lower() not in ("off", "0", "false", "no"),
        hmmm_wait_seconds=_number(env, "BZZZ_HMMM_WAIT_SECONDS", 120.0),
        control_plane_url=_url(env, "BZZZ_CONTROL_PLANE_URL"),
        workspace_quota_mb=int(_number(env, "BZZZ_WORKSPACE_QUOTA_MB", 2048, int)),
        repo_limits=load_repo_limits(env),
        prepare=load_prepare_settings(env),
    )


def _num_ctx(env: Mapping[str, str]) -> int | None:
    """BZZZ_NUM_CTX: a number of tokens, or `auto` (the default): the model's own window."""
    if env.get("BZZZ_NUM_CTX", "").strip().lower() in ("", "auto"):
        return None
    return int(_number(env, "BZZZ_NUM_CTX", 0, int))


def _url(env: Mapping[str, str], variable: str) -> str | None:
    value = env.get(variable, "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigError(variable, f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/")
