"""What a sandbox is made of: its configuration and the constants of its container."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

RUNNER_LABEL = "bzzz.runner"
TASK_LABEL = "bzzz.task"
# Which deployment's task table judges the sandbox (runner.sandbox.reaper.reap_abandoned).
DEPLOYMENT_LABEL = "bzzz.deployment"
# A path inside the container (its tmpfs), not on the host.
SCRATCH = "/tmp"  # noqa: S108
KEEPER_USER = "65534:65534"  # nobody


@dataclass(frozen=True)
class SandboxConfig:
    """Per-sandbox settings; the runner fills `image` and budgets from a repo's .bzzz.yml."""

    image: str = "bzzz-sandbox:latest"
    memory: str = "1g"
    cpus: float = 1.0
    pids: int = 256
    tmp_size: str = "512m"
    network: str | None = "none"  # None: the engine's default network (preparation only)
    command_timeout: float = 300.0
    output_limit: int = 20_000  # bytes kept per command: half head, half tail
    shell: tuple[str, ...] = ("bash", "-lc")
    env: Mapping[str, str] = field(default_factory=dict)
    # For the preparation container (runner.prepare) only: a writable root file system,
    # commands as the image's root (still without capabilities), and read-only binds
    # (host path, container path) besides /workspace.
    read_only: bool = True
    user: str | None = None  # None: runner.sandbox.owner's unprivileged user
    mounts: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # besides the runner's and the task's
