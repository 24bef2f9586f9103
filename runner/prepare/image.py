"""The image a task's sandbox starts from: the base image with the repository's setup done.

    tag = prepare(client, base, workspace, config, settings=..., runner_id=..., ...).tag

No setup steps: the base image itself. Otherwise the tag `bzzz-prep:<fingerprint[:20]>`
(runner.prepare.fingerprint); when the engine has it, it is reused and no step runs.
When not, a preparation container runs the steps and is committed under that tag.

The preparation container is a runner.sandbox.Sandbox with the sandbox's limits
(all capabilities dropped, no-new-privileges, pids, memory, CPU, the per-command
timeout) and three differences: the engine's default network (unless setup is
offline), a writable root file system (what the steps install into it is what the
image keeps), and commands run as the image's root - a root with no capabilities,
which can write the system's site-packages but cannot signal the keeper or gain
privileges. Its /workspace is a host copy of the work tree (links copied as links,
never followed; special files left out): `pip install -e .` may write build files
into it, and none of them reach the work tree or the image, since a bind mount is
not committed. The sandbox later mounts the real work tree at the same /workspace,
so an editable install pointing there works. /tmp (and $HOME) is a tmpfs, so pip's
cache is not kept either.

Nothing the container writes is read by the host except each step's exit code and
its capped output; a failing step raises SetupFailedError with the tail of it.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.errors import ImageNotFoundError, SandboxError
from runner.prepare.copy import copy_tree
from runner.prepare.errors import SetupFailedError
from runner.prepare.fingerprint import fingerprint
from runner.prepare.prune import PREPARED_AT, REPOSITORY, prune_prepared
from runner.prepare.settings import PrepareSettings
from runner.prepare.spec import DEFAULT_FINGERPRINT_FILES
from runner.sandbox.config import SandboxConfig
from runner.sandbox.reaper import wrap

if TYPE_CHECKING:
    import docker

    from runner.repo_config import RepoConfig
    from runner.sandbox.container import Sandbox

log = logging.getLogger(__name__)

PREP_LABEL = "bzzz.prep"
WHEELHOUSE = "/wheelhouse"
TAIL_CHARS = 3000
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


@dataclass
class Preparation:
    """What prepare did, for the trajectory and the report."""

    tag: str
    fingerprint: str = ""
    reused: bool = False
    seconds: float = 0.0
    steps: list[dict[str, Any]] = field(default_factory=list)


def prepare(
    client: docker.DockerClient,
    base: str,
    workspace: Path,
    config: RepoConfig,
    *,
    settings: PrepareSettings,
    runner_id: str,
    task_key: str,
    scratch: Path,
    box: SandboxConfig | None = None,
    record: Callable[..., Any] | None = None,
    on_sandbox: Callable[[Sandbox | None], None] | None = None,
) -> Preparation:
    """The image to start the task's sandbox from (`.tag`; SetupFailedError when a step
    fails), and what was done: reused or not, each step, the time.

    `on_sandbox` is handed the preparation container once it is made, and None once it
    is gone, so the task's stop() can remove it under a running step (a lost lease).
    """
    if not config.setup:
        return Preparation(tag=base)
    import docker as docker_sdk

    started = time.monotonic()
    try:
        base_id = str(client.images.get(base).id)
    except docker_sdk.errors.ImageNotFound as exc:
        raise ImageNotFoundError(f"image {base} is not on the engine") from exc
    except Exception as exc:
        raise wrap(exc, SandboxError, "cannot inspect the base image") from exc
    offline = not (settings.network and config.setup_network)
    patterns = config.fingerprint_files or DEFAULT_FINGERPRINT_FILES
    extra = _mode(offline, settings.wheelhouse, settings.network_name)
    print_ = fingerprint(base_id, config.setup, workspace, patterns, extra)
    tag = f"{REPOSITORY}:{print_[:20]}"
    with _lock_for(tag):
        if _has_image(client, tag):
            done = Preparation(tag, print_, reused=True, seconds=time.monotonic() - started)
        else:
            done = _run_steps(
                client, base, workspace, config, tag, print_, offline, settings,
                runner_id=runner_id, task_key=task_key, scratch=scratch, box=box,
                on_sandbox=on_sandbox,
            )  # fmt: skip
            done.seconds = time.monotonic() - started
            prune_prepared(client, settings.keep)
    if record is not None:
        record("prepare", image=tag, fingerprint=print_, reused=done.reused,
               seconds=round(done.seconds, 3), steps=done.steps)  # fmt: skip
    log.info("%s: image %s %s in %.1f s", task_key, tag,
             "reused" if done.reused else "prepared", done.seconds)  # fmt: skip
    return done


def _run_steps(
    client: docker.DockerClient,
    base: str,
    workspace: Path,
    config: RepoConfig,
    tag: str,
    print_: str,
    offline: bool,
    settings: PrepareSettings,
    *,
    runner_id: str,
    task_key: str,
    scratch: Path,
    box: SandboxConfig | None,
    on_sandbox: Callable[[Sandbox | None], None] | None,
) -> Preparation:
    from runner.sandbox.container import Sandbox

    limit = min(config.setup_timeout or settings.max_seconds, settings.max_seconds)
    deadline = time.monotonic() + limit
    copy = scratch / f"prep-{secrets.token_hex(6)}"
    scratch.mkdir(parents=True, exist_ok=True)
    done = Preparation(tag, print_)
    try:
        copy_tree(workspace, copy)
        sandbox = Sandbox(
            client, copy, runner_id=runner_id, task_key=task_key,
            config=_prep_config(box or SandboxConfig(), base, offline, settings),
        )  # fmt: skip
        if on_sandbox is not None:
            on_sandbox(sandbox)  # may raise: the task was stopped meanwhile
        with sandbox:
            for step in config.setup:
                remaining = deadline - time.monotonic()
                if remaining <= 1:
                    raise SetupFailedError(step, 124, "", f" - setup took over {limit:g} s")
                result = sandbox.run(step, timeout=remaining)
                done.steps.append(
                    {"command": step, "exit_code": result.exit_code,
                     "seconds": round(result.duration, 3)}
                )  # fmt: skip
                if result.exit_code != 0:
                    note = f" - {result.explanation}" if result.timed_out else ""
                    raise SetupFailedError(
                        step, result.exit_code, result.output[-TAIL_CHARS:], note
                    )
            repository, _, name = tag.partition(":")
            try:
                sandbox.container.commit(  # type: ignore[union-attr]
                    repository=repository,
                    tag=name,
                    changes=[f"LABEL {PREP_LABEL}={print_} {PREPARED_AT}={time.time_ns()}"],
                )
            except Exception as exc:
                raise wrap(exc, SandboxError, "cannot commit the prepared container") from exc
    finally:
        if on_sandbox is not None:
            on_sandbox(None)
        shutil.rmtree(copy, ignore_errors=True)
    return done


def _prep_config(
    box: SandboxConfig, base: str, offline: bool, settings: PrepareSettings
) -> SandboxConfig:
    from dataclasses import replace

    # Only in the steps' environment (the exec's argv), never in the container's own
    # configuration, which the commit would copy into the image and so into the sandbox.
    env = ["PIP_BREAK_SYSTEM_PACKAGES=1", "PIP_ROOT_USER_ACTION=ignore", "PIP_NO_CACHE_DIR=1"]
    mounts: tuple[tuple[str, str], ...] = ()
    if offline:
        env.append("PIP_NO_INDEX=1")
        if settings.wheelhouse is not None:
            env.append(f"PIP_FIND_LINKS={WHEELHOUSE}")
            mounts = ((str(settings.wheelhouse), WHEELHOUSE),)
    network = "none" if offline else settings.network_name  # None: the engine's default
    argv = ("env", *env, *box.shell)
    return replace(
        box, image=base, network=network, read_only=False, user="0:0",
        mounts=mounts, shell=argv,
    )  # fmt: skip


def _mode(offline: bool, wheelhouse: Path | None, network_name: str | None) -> list[str]:
    """What besides the repository decides the result: the network, the wheelhouse's wheels."""
    if not offline:
        return ["network", network_name or ""]
    if wheelhouse is None:
        return ["offline"]
    wheels = sorted(
        f"{entry.name}:{entry.stat(follow_symlinks=False).st_size}"
        for entry in os.scandir(wheelhouse)
    )
    return ["offline", *wheels]


def _has_image(client: docker.DockerClient, tag: str) -> bool:
    import docker as docker_sdk

    try:
        client.images.get(tag)
    except docker_sdk.errors.ImageNotFound:
        return False
    except Exception as exc:
        raise wrap(exc, SandboxError, "cannot look up the prepared image") from exc
    return True


def _lock_for(tag: str) -> threading.Lock:
    """One preparation per image at a time in this runner: a second task waits and reuses it."""
    with _locks_lock:
        return _locks.setdefault(tag, threading.Lock())
