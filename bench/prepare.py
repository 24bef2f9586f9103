"""Setup steps: the first task on a fingerprint prepares the image, the next ones reuse it.

For each round, a fresh fingerprint (a new marker in the steps) is prepared,
then prepared again with nothing changed: the first time runs the steps in a
preparation container and commits it, the second only finds the image. The
steps install a real package offline, as a runner with BZZZ_SETUP_NETWORK=off
does: pip's own wheel (the one this Python bundles for ensurepip), from a
wheelhouse, with the image's pip.

    .venv/bin/python -m bench.prepare [--rounds 3]

Uses DOCKER_HOST / the Docker socket when they answer, else starts Podman's
service itself; builds the default image first when it is missing. Removes the
images it made.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import statistics
import tempfile
from pathlib import Path

from infra.container_engine import container_engine
from runner.prepare import PrepareSettings, prepare
from runner.repo_config import RepoConfig
from runner.sandbox.container import reap_orphans
from runner.sandbox.images.build import ensure_default_image

RUNNER_ID = "bench-prepare"


def pip_wheel() -> Path:
    import ensurepip

    return sorted((Path(ensurepip.__file__).parent / "_bundled").glob("pip-*.whl"))[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with container_engine() as engine, tempfile.TemporaryDirectory() as temp:
        client = engine.client()
        image = ensure_default_image(client)
        root = Path(temp)
        (root / "wheelhouse").mkdir()
        shutil.copy(pip_wheel(), root / "wheelhouse")
        repo = root / "repo"
        repo.mkdir()
        (repo / "requirements.txt").write_text("pip\n")
        settings = PrepareSettings(network=False, wheelhouse=root / "wheelhouse", keep=50)
        first, again, made = [], [], []
        try:
            for _ in range(args.rounds):
                install = "pip install --ignore-installed -r requirements.txt"
                config = RepoConfig(setup=(f"{install}  # {secrets.token_hex(4)}",))
                for samples in (first, again):
                    done = prepare(
                        client, image, repo, config, settings=settings, runner_id=RUNNER_ID,
                        task_key="bench/prepare#1", scratch=root / "scratch",
                    )  # fmt: skip
                    samples.append(done.seconds)
                made.append(done.tag)
                assert not done.steps, "the second preparation ran the steps"
        finally:
            for tag in made:
                with contextlib.suppress(Exception):
                    client.images.remove(tag, force=True)
            reap_orphans(client, RUNNER_ID)
        for name, samples in (("first task (setup runs, commit)", first),
                              ("next task, same fingerprint (reuse)", again)):  # fmt: skip
            print(
                f"{name:<40} median {statistics.median(samples) * 1000:8.0f} ms   "
                f"min {min(samples) * 1000:7.0f} ms   max {max(samples) * 1000:7.0f} ms"
            )


if __name__ == "__main__":
    main()
