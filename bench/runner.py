"""The runner's figures: claim to a ready sandbox, and its resident memory idle and busy.

1. Claim to ready: from `Lifecycle.claim` to the first command answered in a
   sandbox with the repository mounted - the claim, a token, the repository's
   metadata, the clone over git smart HTTP, .bzzz.yml, the sandbox start, the
   `running` transition, `git status` inside. Aim: <= 2 s for a small repo.
   Baseline, same run, same engine and git server: `git clone` alone plus an
   empty sandbox started and answering `true`.
2. Resident memory (VmRSS of the `bzzz runner` process, no children): idle
   after it registered, and its peak with four tasks in flight (capacity 4, a
   scripted model that answers each step after a delay).

    .venv/bin/python -m bench.runner [--rounds 5]

(As a module: run as a script, this file would hide the `runner` package.)

Everything local: moto, the GitHub and Ollama stand-ins, the container engine
(DOCKER_HOST, the Docker socket, else Podman's service started here).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from bzzz.bus import Bus
from bzzz.store.models import bind
from bzzz.tasks.lifecycle import Lifecycle
from infra.container_engine import container_engine
from infra.github_emulator import DEMO_SEED, GitHubEmulator
from infra.github_emulator import start_in_thread as github_in_thread
from infra.github_emulator.seed import load_seed
from infra.local_backend import LocalBackend
from infra.ollama_emulator.server import start_in_thread as ollama_in_thread
from runner.credentials import Credentials
from runner.git.workspace import Workspace, repository_info
from runner.repo_config import load_repo_config
from runner.sandbox.container import Sandbox, SandboxConfig, reap_orphans
from runner.sandbox.images.build import ensure_default_image

ROOT = Path(__file__).resolve().parents[1]
REPO, MODEL, RUNNER_ID = "acme/calc", "bench:7b", "bench-runner"


def scenario(steps: int, delay: float) -> dict[str, Any]:
    script = [
        {
            "tool_calls": [{"name": "run_command", "arguments": {"command": f"echo {n}"}}],
            "delay": delay,
        }
        for n in range(steps)
    ]
    plan = {"when": {"system_contains": "numbered plan"}, "reply": "1. Look around."}  # HMMM
    model = {
        "name": MODEL,
        "capabilities": ["completion", "tools"],
        "rules": [plan],
        "script": script,
    }
    return {"version": "0.12.6", "models": [model]}


def show(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    print(f"{name:<46} median {median * 1000:7.0f} ms   min {min(samples) * 1000:6.0f} ms")
    return median


def timed(rounds: int, action: Callable[[], None]) -> list[float]:
    action()  # warm-up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


@contextlib.contextmanager
def local_stack() -> Iterator[dict[str, Any]]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    backend = LocalBackend()
    backend.start_servers()
    github = ollama = None
    try:
        env = backend.provision(f"bench{os.getpid()}")
        settings = backend.settings(env)
        bind(settings)
        github = github_in_thread(
            GitHubEmulator.from_seed(load_seed(yaml.safe_load(DEMO_SEED.read_text())))
        )
        ollama = ollama_in_thread(scenario(400, 1.0))
        with container_engine() as engine:
            client = engine.client()
            image = ensure_default_image(client)
            yield {
                "env": env, "settings": settings.with_overrides(github_api_url=github.base_url),
                "github": github.base_url, "ollama": ollama.base_url, "client": client,
                "image": image, "docker_host": engine.env()["DOCKER_HOST"],
            }  # fmt: skip
            reap_orphans(client, RUNNER_ID)
    finally:
        for server in (github, ollama):
            if server is not None:
                server.stop()
        backend.stop()


def claim_to_ready(stack: dict[str, Any], rounds: int, work: Path) -> None:
    settings, client, image = stack["settings"], stack["client"], stack["image"]
    lifecycle = Lifecycle(settings)
    # Development token mode: the bench measures the sandbox, not token vending.
    credentials = Credentials(settings.github_api_url, dev_token="ghp_alice_demo_token")
    key = f"{REPO}#1"

    def through_the_runner() -> None:
        lifecycle.create(REPO, 1, "bench")
        lifecycle.claim(key, RUNNER_ID)
        token = credentials.token_for(key)
        workspace = Workspace(work, "ws", token)
        workspace.clone(*repository_info(settings.github_api_url, token))
        config = load_repo_config(workspace.path)
        box = Sandbox(client, workspace.path, runner_id=RUNNER_ID, task_key=key,
                      config=SandboxConfig(image=config.image or image)).start()  # fmt: skip
        lifecycle.start(key, RUNNER_ID)
        assert box.run("git status --short").exit_code == 0
        box.remove()
        lifecycle.cancel(key, "bench round over")
        workspace.remove()

    def clone_alone() -> None:
        url = f"{stack['github']}/{REPO}.git"
        subprocess.run(["git", "clone", "-q", url, str(work / "plain")], check=True)
        shutil.rmtree(work / "plain")

    def empty_sandbox() -> None:
        (work / "empty").mkdir()
        box = Sandbox(client, work / "empty", runner_id=RUNNER_ID, task_key="bench#0",
                      config=SandboxConfig(image=image)).start()  # fmt: skip
        assert box.run("true").exit_code == 0
        box.remove()
        shutil.rmtree(work / "empty")

    print(f"claim to ready sandbox, {REPO} (3 files), {rounds} rounds")
    ready = show("claim -> sandbox ready with the repo mounted", timed(rounds, through_the_runner))
    clone = show("baseline: git clone alone", timed(rounds, clone_alone))
    empty = show("baseline: empty sandbox start + `true`", timed(rounds, empty_sandbox))
    overhead = (ready - clone - empty) * 1000
    print(f"{'overhead over the baselines (ready - clone - empty)':<46} {overhead:7.0f} ms")
    print(f"{'aim: ready <= 2000 ms':<46} {'met' if ready <= 2 else 'NOT met'}")


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def memory(stack: dict[str, Any], work: Path) -> None:
    settings = stack["settings"]
    for number in (2, 3, 4):
        httpx.post(
            f"{stack['github']}/repos/{REPO}/issues", json={"title": f"bench {number}"},
            headers={"Authorization": "token ghp_alice_demo_token"}, timeout=10,
        ).raise_for_status()  # fmt: skip
    env = {
        **os.environ, **stack["env"], "BZZZ_RUNNER_ID": RUNNER_ID, "BZZZ_MODEL": MODEL,
        "OLLAMA_HOST": stack["ollama"], "GITHUB_API_URL": stack["github"],
        "GITHUB_TOKEN": "ghp_alice_demo_token", "DOCKER_HOST": stack["docker_host"],
        "BZZZ_STATE_DIR": str(work / "state"), "BZZZ_SANDBOX_IMAGE": stack["image"],
        "BZZZ_RUNNER_CAPACITY": "4", "BZZZ_RUNNER_GRACE_SECONDS": "1",
        "BZZZ_RUNNER_PROGRESS": "off",
    }  # fmt: skip
    log = Path(os.environ.get("BENCH_RUNNER_LOG") or work / "runner.log")
    with log.open("w") as out:  # a file, not a pipe: an unread pipe would block the runner
        runner = subprocess.Popen([sys.executable, "-m", "cli.main", "runner"], cwd=ROOT,
                                  env=env, stderr=out)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while " ready: model " not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        idle = rss_kib(runner.pid)
        lifecycle = Lifecycle(settings, publisher=Bus(settings))  # announces task.available
        keys = [f"{REPO}#{n}" for n in (1, 2, 3, 4)]
        for n in (1, 2, 3, 4):
            lifecycle.create(REPO, n, f"bench {n}")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if all((t := lifecycle.get(k)) is not None and t.state == "running" for k in keys):
                break
            time.sleep(0.2)
        busy = 0
        for _ in range(20):  # the peak over a few seconds of four agents at work
            busy = max(busy, rss_kib(runner.pid))
            time.sleep(0.25)
        running = sum(
            1 for k in keys if (t := lifecycle.get(k)) is not None and t.state == "running"
        )
        print("resident memory of `bzzz runner` (VmRSS, the process alone)")
        print(f"{'idle, registered':<46} {idle / 1024:7.1f} MiB")
        print(f"{f'{running} tasks in flight (peak of 20 samples)':<46} {busy / 1024:7.1f} MiB")
    finally:
        runner.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            runner.wait(timeout=60)
        runner.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with local_stack() as stack, tempfile.TemporaryDirectory() as tmp:
        claim_to_ready(stack, args.rounds, Path(tmp))
        print()
        memory(stack, Path(tmp))


if __name__ == "__main__":
    main()
