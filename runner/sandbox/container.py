"""A locked-down container for one task, driven through the docker SDK (Docker or Podman).

    with Sandbox(client, workspace, runner_id="r1", task_key="o/r#5") as box:
        result = box.run("pytest -q", timeout=120)   # CommandResult, never raises for the command

Defaults (SandboxConfig): no network, all capabilities dropped,
no-new-privileges, read-only root, the host workspace bind-mounted read-write
at /workspace (a work tree only: its real git directory lives outside it and
is never mounted, see runner.git.workspace), a tmpfs at /tmp (also $HOME), a
non-root user, pids, memory (swap included) and CPU limits, labels
`bzzz.runner` and `bzzz.task`. Each command has a timeout enforced inside the
container and backstopped from the host (see sandbox_exec), and its output is
capped to head and tail. The container is removed on exit from the context, on
`remove()`, and - after a crash - by `reap_orphans(client, runner_id)`, which
the runner calls at start.

Network: `network="none"` is the default and the only mode the tests prove. A
mirror allow-list is not built in; a deployment that needs package mirrors can
pass the name of an engine network it has prepared (e.g. an internal network
whose only way out is a filtering proxy) as `network=...`.

User: a non-root runner's own uid:gid, so files the agent writes belong to the
runner; a root runner uses the image's `bzzz` user (1000:1000), chowns the
workspace to it for the sandbox's life and gives it back on removal.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from runner.errors import ImageNotFoundError, SandboxError, SandboxGoneError, SandboxStartError
from runner.sandbox.config import (
    KEEPER_USER,
    PROCESS_LABEL,
    RUNNER_LABEL,
    SCRATCH,
    TASK_LABEL,
    SandboxConfig,
)
from runner.sandbox.exec import KillFailedError, run_exec
from runner.sandbox.output import TIMEOUT_EXIT_CODE, CommandResult, OutputCap, explain
from runner.sandbox.owner import WorkspaceOwner
from runner.sandbox.reaper import engine_refused, process_identity, reap_orphans, wrap

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

__all__ = [
    "RUNNER_LABEL",
    "TASK_LABEL",
    "CommandResult",
    "Sandbox",
    "SandboxConfig",
    "reap_orphans",
]


class Sandbox:
    def __init__(
        self,
        client: docker.DockerClient,
        workspace: Path,
        *,
        runner_id: str,
        task_key: str,
        config: SandboxConfig | None = None,
    ) -> None:
        self.client = client
        self.workspace = Path(workspace).absolute()
        self.runner_id = runner_id
        self.task_key = task_key
        self.config = config or SandboxConfig()
        self.owner = WorkspaceOwner(self.workspace)
        self.container: Container | None = None
        self._lock = threading.Lock()  # one command at a time: the timeout kill is container-wide

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    @property
    def id(self) -> str:
        if self.container is None:
            raise SandboxGoneError("the sandbox is not started")
        return str(self.container.id)

    def start(self) -> Sandbox:
        import docker
        from docker.types import Mount

        cfg = self.config
        if cfg.user is None:  # a chosen user (the preparation's root) owns what it is given
            self.owner.take()
        slug = re.sub(r"[^a-zA-Z0-9_.-]+", "-", self.task_key).strip("-")[:40]
        try:
            self.container = self.client.containers.create(
                cfg.image,
                command=["sleep", "infinity"],
                name=f"bzzz-{slug}-{secrets.token_hex(3)}",
                init=True,  # an init reaps orphans, so zombies never eat the pids limit
                # The keeper (init + sleep) runs as another unprivileged uid than the
                # commands, so the timeout's `kill -KILL -1` as the command user, or the
                # agent itself, can never stop the container.
                user=KEEPER_USER,
                working_dir="/workspace",
                environment={"HOME": SCRATCH, **cfg.env},
                network_mode=cfg.network,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                read_only=cfg.read_only,
                # `exec` spelled out: Docker Engine mounts a tmpfs noexec unless told
                # otherwise (Podman does not), and a venv or a build in $HOME must run.
                tmpfs={SCRATCH: f"rw,exec,nosuid,nodev,size={cfg.tmp_size},mode=1777"},
                mounts=[
                    Mount("/workspace", str(self.workspace), type="bind"),
                    *(
                        Mount(inside, host, type="bind", read_only=True)
                        for host, inside in cfg.mounts
                    ),
                ],
                pids_limit=cfg.pids,
                mem_limit=cfg.memory,
                memswap_limit=cfg.memory,  # no swap: the memory limit is the real limit
                nano_cpus=int(cfg.cpus * 1e9),
                labels={
                    **dict(cfg.labels),
                    RUNNER_LABEL: self.runner_id,
                    TASK_LABEL: self.task_key,
                    PROCESS_LABEL: process_identity(),
                },
            )
            self.container.start()
        except docker.errors.ImageNotFound as exc:
            self.remove()
            raise ImageNotFoundError(
                f"image {cfg.image} is not on the engine; build the default with "
                "'bzzz image build' or pull/build the repository's image"
            ) from exc
        except Exception as exc:
            self.remove()
            raise wrap(exc, SandboxStartError, "cannot start the sandbox") from exc
        return self

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run `command` with the configured shell in /workspace; never raises for its failure."""
        timeout = self.config.command_timeout if timeout is None else timeout
        with self._lock:
            result = self._run_once(command, timeout)
            if engine_refused(result):
                # The engine could not even start the command (e.g. a full pids limit left
                # by a process it failed to kill): a restart frees it; workspace files stay.
                self._restart()
                result = self._run_once(command, timeout)
        return result

    def _run_once(self, command: str, timeout: float) -> CommandResult:
        cap = OutputCap(self.config.output_limit)
        started = time.monotonic()
        note = ""
        try:
            code, timed_out = run_exec(
                self.client.api,
                self.id,
                [*self.config.shell, command],
                user=self.config.user or self.owner.user,
                environment={"HOME": SCRATCH, **self.config.env},
                timeout=timeout,
                cap=cap,
            )
        except KillFailedError:
            self._restart()
            code, timed_out = None, True
            note = "; the sandbox was restarted to stop it (/workspace kept, /tmp cleared)"
        except SandboxError:
            raise
        except Exception as exc:
            raise wrap(exc, SandboxGoneError, "the sandbox cannot run commands") from exc
        exit_code = TIMEOUT_EXIT_CODE if timed_out else (code if code is not None else -1)
        return CommandResult(
            exit_code=exit_code,
            output=cap.text(),
            timed_out=timed_out,
            truncated=cap.truncated,
            duration=time.monotonic() - started,
            explanation=explain(
                exit_code, timed_out=timed_out, timeout=timeout, memory=self.config.memory
            )
            + note,
        )

    def _restart(self) -> None:
        """Last resort: kill everything in the container (init included) and start it again."""
        try:
            self.container.restart(timeout=0)  # type: ignore[union-attr]
        except Exception as exc:
            raise wrap(exc, SandboxGoneError, "cannot restart the sandbox") from exc

    def remove(self) -> None:
        """Remove the container (idempotent) and give the workspace back to its owner."""
        import docker

        container, self.container = self.container, None
        try:
            if container is not None:
                container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except Exception as exc:
            raise wrap(exc, SandboxError, "cannot remove the sandbox") from exc
        finally:
            self.owner.give_back()
