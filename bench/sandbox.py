"""Time from "create a sandbox with a small repo mounted" to ready, against the engine's floor.

Ready means the first command has answered (`git status` in /workspace). The
baseline, measured in the same run on the same engine and image, is the
engine's own round trip for a bare container: `containers.run(image, "true",
remove=True)` through the docker SDK (create, start, wait, remove), and on
Podman also the `podman run --rm image true` CLI. The figure is the ratio of
the sandbox's ready time to the SDK baseline (issue 5 aims at <= 2 s absolute
for claim-to-ready; this is the sandbox's share of that).

    .venv/bin/python bench/sandbox.py [--rounds 5] [--files 50]

Uses DOCKER_HOST / the Docker socket when they answer, else starts Podman's
service itself; builds the default image first when it is missing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from infra.container_engine import container_engine, podman_env
from runner.sandbox.container import Sandbox, reap_orphans
from runner.sandbox.images.build import ensure_default_image

RUNNER_ID = "bench-sandbox"


def small_repo(root: Path, files: int) -> Path:
    repo = root / "repo"
    (repo / "src").mkdir(parents=True)
    for n in range(files):
        (repo / "src" / f"mod_{n}.py").write_text(f"def f{n}():\n    return {n}\n")
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "small repo"], check=True)
    return repo


def timed(rounds: int, action: Callable[[], None]) -> list[float]:
    action()  # warm-up: first use pays for image layers and caches
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def show(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    print(f"{name:<44} median {median * 1000:7.0f} ms   min {min(samples) * 1000:6.0f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args()

    with container_engine() as engine, tempfile.TemporaryDirectory() as tmp:
        client = engine.client()
        image = ensure_default_image(client, log=lambda line: print(f"[image] {line}"))
        repo = small_repo(Path(tmp), args.files)
        print(f"engine: {engine.kind} at {engine.base_url}; image {image}; {args.rounds} rounds")
        removals: list[float] = []

        def sandbox_ready() -> None:
            from runner.sandbox.container import SandboxConfig

            box = Sandbox(
                client, repo, runner_id=RUNNER_ID, task_key="bench/repo#1",
                config=SandboxConfig(image=image),
            )  # fmt: skip
            box.start()
            result = box.run("git status --short | wc -l")
            assert result.exit_code == 0, result
            start = time.perf_counter()
            box.remove()
            removals.append(time.perf_counter() - start)

        def sdk_baseline() -> None:
            client.containers.run(image, ["true"], remove=True)

        ready = show("sandbox create -> first command answered", timed(args.rounds, sandbox_ready))
        show("sandbox removal (not in the figure above)", removals[1:])
        floor = show("baseline: SDK containers.run(true, remove)", timed(args.rounds, sdk_baseline))
        podman = shutil.which("podman")
        if engine.kind == "podman" and podman:
            cli = [podman, "--url", engine.base_url, "run", "--rm", image, "true"]
            show(
                "baseline: podman run --rm image true (CLI)",
                timed(args.rounds, lambda: subprocess.run(cli, check=True, env=podman_env())),
            )
        print(f"ratio sandbox-ready / SDK baseline: {ready / floor:.2f}")
        reap_orphans(client, RUNNER_ID)


if __name__ == "__main__":
    main()
