"""Setup steps in a preparation container, against the real engine (Podman's Docker API).

Prepared once per fingerprint and committed as `bzzz-prep:<fp>`; a second task on the
same fingerprint reuses the image without running a step; a failing step names its
command and brings back the tail of its output; offline, a wheelhouse on the host
feeds pip and the agent's sandbox (no network) imports what it installed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from runner.errors import SandboxError
from runner.prepare import (
    PrepareError,
    PrepareSettings,
    SetupFailedError,
    prepare,
    prune_prepared,
)
from runner.prepare.prune import PREPARED_AT
from runner.repo_config import RepoConfig
from runner.sandbox.container import Sandbox, SandboxConfig
from tests.fixtures.containers import TEST_RUNNER_ID
from tests.fixtures.runner_scenario import wait_until
from tests.fixtures.wheels import DEMO_PACKAGE, DEMO_VALUE, wheelhouse

# Engine behaviour: run on Podman and on Docker Engine (tests/fixtures/containers.py).
pytestmark = pytest.mark.both_engines

BOX = SandboxConfig(memory="512m", pids=128, output_limit=8000)


@pytest.fixture
def made(docker_client) -> Iterator[list[str]]:
    """Tags a test prepared; removed afterwards, so the shared engine keeps none of them."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        with contextlib.suppress(Exception):  # already gone is what we want
            docker_client.images.remove(tag, force=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "requirements.txt").write_text(f"{DEMO_PACKAGE}\n")
    (work / "app.py").write_text("print('the repository source')\n")
    return work


def _prepare(docker_client, image, repo, config, tmp_path, settings=None, on_sandbox=None):
    return prepare(
        docker_client, image, repo, config, settings=settings or PrepareSettings(keep=50),
        runner_id=TEST_RUNNER_ID, task_key="octo/demo#12", scratch=tmp_path / "scratch", box=BOX,
        on_sandbox=on_sandbox,
    )  # fmt: skip


def test_prepared_once_then_reused_and_the_source_is_not_baked_in(
    container_engine, docker_client, sandbox_image, repo, tmp_path, made
):
    token = secrets.token_hex(4)
    # Setup gets the engine's default network. Podman's gives an interface besides lo; the
    # tests' private dockerd has no bridge to give (infra/container_engine/dockerd.py), so
    # there the sandbox's configuration shows it (None: the default, not "none").
    on_podman = container_engine.kind == "podman"
    has_network = "ls /sys/class/net | grep -qvx lo" if on_podman else "true"
    config = RepoConfig(
        setup=(
            f"echo {token} >> /opt/setup-runs",  # the root file system is what is kept
            has_network,
            "touch /workspace/build-junk",  # the copy of the work tree takes it, not the tree
        )
    )
    networks = []

    def seen(sandbox):
        if sandbox is not None:
            networks.append(sandbox.config.network)

    first = _prepare(docker_client, sandbox_image, repo, config, tmp_path, on_sandbox=seen)
    assert networks == [None]
    made.append(first.tag)
    second = _prepare(docker_client, sandbox_image, repo, config, tmp_path)
    print(f"\nprepare: first {first.seconds:.2f} s (setup ran), second {second.seconds:.2f} s")
    assert first.tag.startswith("bzzz-prep:") and first.tag != sandbox_image
    assert (first.reused, second.reused) == (False, True)
    assert second.tag == first.tag and second.steps == []
    assert [s["exit_code"] for s in first.steps] == [0, 0, 0]
    assert not (repo / "build-junk").exists()
    assert not list((tmp_path / "scratch").iterdir())  # the copy is gone
    # Run from the image, once: the step ran once; /workspace is only an empty mount point.
    look = docker_client.containers.create(
        first.tag, ["sh", "-c", "cat /opt/setup-runs; ls -A /workspace; echo end"],
        network_mode="none", user="0:0",
    )  # fmt: skip
    try:
        look.start()
        assert look.wait(timeout=60)["StatusCode"] == 0
        assert look.logs().decode() == f"{token}\nend\n"
    finally:
        look.remove(force=True)
    image = docker_client.images.get(first.tag)
    assert image.labels.get("bzzz.prep", "").startswith(first.tag.split(":")[1])
    # A changed dependency file is a new fingerprint: a new image.
    (repo / "requirements.txt").write_text(f"{DEMO_PACKAGE}==1.0\n")
    third = _prepare(docker_client, sandbox_image, repo, config, tmp_path)
    made.append(third.tag)
    assert third.tag != first.tag and not third.reused


def test_a_failing_step_names_its_command_and_brings_back_its_tail(
    docker_client, sandbox_image, repo, tmp_path, made
):
    step = f"echo preparing {secrets.token_hex(3)}; echo boom >&2; exit 3"
    config = RepoConfig(setup=("true", step))
    before = {tag for image in docker_client.images.list(name="bzzz-prep") for tag in image.tags}
    with pytest.raises(SetupFailedError) as caught:
        _prepare(docker_client, sandbox_image, repo, config, tmp_path)
    assert str(caught.value).startswith("setup failed: `echo preparing")
    assert str(caught.value).endswith("(exit 3)")
    assert caught.value.exit_code == 3
    assert "boom" in caught.value.tail and "preparing" in caught.value.tail
    assert caught.value.command == step
    after = {tag for image in docker_client.images.list(name="bzzz-prep") for tag in image.tags}
    assert after <= before  # nothing was committed
    leftover = docker_client.containers.list(
        all=True, filters={"label": "bzzz.runner=" + TEST_RUNNER_ID, "ancestor": sandbox_image}
    )
    assert [c for c in leftover if c.labels.get("bzzz.task") == "octo/demo#12"] == []


def test_the_whole_setup_has_a_timeout(docker_client, sandbox_image, repo, tmp_path):
    config = RepoConfig(setup=(f"echo slow {secrets.token_hex(3)}; sleep 60",), setup_timeout=2)
    with pytest.raises(SetupFailedError) as caught:
        _prepare(docker_client, sandbox_image, repo, config, tmp_path)
    assert caught.value.exit_code == 124
    assert "timed out" in str(caught.value)


def test_offline_from_a_wheelhouse_then_the_sandbox_without_network_imports_it(
    docker_client, sandbox_image, repo, tmp_path, made
):
    wheels = wheelhouse(tmp_path / "wheelhouse")
    settings = PrepareSettings(network=False, wheelhouse=wheels, keep=50)
    token = secrets.token_hex(3)
    config = RepoConfig(
        setup=(
            'test "$(ls /sys/class/net)" = lo',  # network "none": no interface but loopback
            f"pip install -r requirements.txt  # {token}",  # from /wheelhouse: no index
        ),
        setup_network=True,  # the runner's BZZZ_SETUP_NETWORK=off wins
    )
    done = _prepare(docker_client, sandbox_image, repo, config, tmp_path, settings)
    made.append(done.tag)
    assert not done.reused
    box = replace(BOX, image=done.tag)  # the agent's sandbox: network "none", read-only root
    with Sandbox(
        docker_client, repo, runner_id=TEST_RUNNER_ID, task_key="octo/demo#12", config=box
    ) as sandbox:
        result = sandbox.run(f"python3 -c 'import {DEMO_PACKAGE}; print({DEMO_PACKAGE}.VALUE)'")
        assert (result.exit_code, result.output) == (0, f"{DEMO_VALUE}\n")
        assert sandbox.run("ls /sys/class/net").output.split() == ["lo"]
        assert sandbox.run("env | grep -c ^PIP_ || true").output.strip() == "0"
    # The same wheelhouse with one more wheel is another fingerprint.
    (wheels / "extra-0.1-py3-none-any.whl").write_bytes(b"not used")
    again = _prepare(docker_client, sandbox_image, repo, config, tmp_path, settings)
    made.append(again.tag)
    assert again.tag != done.tag


def test_only_the_newest_prepared_images_are_kept(docker_client, sandbox_image):
    repository = f"bzzz-prep-test-{secrets.token_hex(3)}"
    container = docker_client.containers.create(sandbox_image, ["true"])
    try:
        for n in range(3):  # three images, oldest first
            at = f"LABEL {PREPARED_AT}={time.time_ns() + n}"  # the engine's `Created` is in s
            container.commit(repository=repository, tag=f"t{n}", changes=[at])
        removed = prune_prepared(docker_client, keep=1, repository=repository)
        left = [t for image in docker_client.images.list(name=repository) for t in image.tags]
    finally:
        container.remove(force=True)
        for image in docker_client.images.list(name=repository):
            docker_client.images.remove(image.id, force=True)
    short = "docker.io/library/"  # how Podman names a local image without a registry
    assert sorted(t.removeprefix(short) for t in removed) == [f"{repository}:t{n}" for n in (0, 1)]
    assert [t.removeprefix(short) for t in left] == [f"{repository}:t2"]


def test_an_editable_install_points_at_the_work_tree_the_sandbox_mounts(
    docker_client, sandbox_image, repo, tmp_path, made
):
    (repo / "calc.py").write_text("def double(x):\n    return x + x\n")
    (repo / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "calc"\nversion = "0.1"\n\n[tool.setuptools]\npy-modules = ["calc"]\n'
    )
    config = RepoConfig(setup=(f"pip install --no-index -e .  # {secrets.token_hex(3)}",))
    done = _prepare(docker_client, sandbox_image, repo, config, tmp_path)
    made.append(done.tag)
    assert sorted(p.name for p in repo.iterdir()) == [  # its build files stayed in the copy
        "app.py", "calc.py", "pyproject.toml", "requirements.txt",
    ]  # fmt: skip
    # The agent edits the work tree after the image was made: the sandbox imports the edit.
    (repo / "calc.py").write_text("def double(x):\n    return 'edited by the agent'\n")
    with Sandbox(
        docker_client, repo, runner_id=TEST_RUNNER_ID, task_key="octo/demo#12",
        config=replace(BOX, image=done.tag),
    ) as sandbox:  # fmt: skip
        result = sandbox.run(
            "cd / && python3 -c 'import calc; print(calc.__file__, calc.double(2))'"
        )
    assert (result.exit_code, result.output) == (0, "/workspace/calc.py edited by the agent\n")


def test_a_stopped_task_removes_the_preparation_container_under_its_step(
    docker_client, sandbox_image, repo, tmp_path
):
    held: list[Sandbox | None] = []
    started = threading.Event()

    def hold(sandbox: Sandbox | None) -> None:
        held.append(sandbox)
        started.set()

    def lose_the_lease() -> None:
        assert started.wait(60)
        # Once the step runs (its `sleep` is in the container), remove what the task holds.
        box = held[0]
        assert box is not None
        try:  # held before it starts: wait for its container, then for the step in it
            wait_until(lambda: box.container is not None, "the container to start")
            container = docker_client.containers.get(box.id)  # box.run would wait for the step
            processes = ["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"]
            wait_until(
                lambda: b"sleep 600" in container.exec_run(processes).output, "the step to run"
            )
        finally:  # whatever happened, the step must not hold the test for its 600 s
            box.remove()

    config = RepoConfig(setup=(f"echo {secrets.token_hex(3)}; sleep 600",))
    stopper = threading.Thread(target=lose_the_lease)
    stopper.start()
    began = time.monotonic()
    with pytest.raises((SandboxError, PrepareError)):  # gone under the step, or its exec cut
        prepare(
            docker_client, sandbox_image, repo, config, settings=PrepareSettings(keep=50),
            runner_id=TEST_RUNNER_ID, task_key="octo/demo#12", scratch=tmp_path / "scratch",
            box=BOX, on_sandbox=hold,
        )  # fmt: skip
    stopper.join(60)
    assert time.monotonic() - began < 60  # not the step's 600 s
    assert held[-1] is None  # handed back once gone
    assert not list((tmp_path / "scratch").iterdir())


def test_bzzz_image_prune_keeps_the_newest_and_names_what_it_removed(
    container_engine, docker_client, sandbox_image
):
    env = {**os.environ, **container_engine.env()}
    ran = subprocess.run(
        [sys.executable, "-m", "cli.main", "image", "prune", "--keep", "-1"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (ran.returncode, ran.stdout) == (1, "")
    assert ran.stderr == "bzzz image prune: --keep: must be 0 or more\n"
    ran = subprocess.run(
        [sys.executable, "-m", "cli.main", "image", "prune", "--keep", "100000"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "", "")


def test_setup_runs_on_the_engine_network_the_operator_names(
    docker_client, sandbox_image, repo, tmp_path, made
):
    name = f"bzzz-test-setup-{secrets.token_hex(3)}"
    network = docker_client.networks.create(name, internal=True)  # no way out at all
    try:
        network.reload()
        subnet = network.attrs["IPAM"]["Config"][0]["Subnet"]  # e.g. 10.89.1.0/24
        prefix = subnet.split("/")[0].rsplit(".", 1)[0] + "."
        settings = PrepareSettings(network_name=name, keep=50)
        # The container has an address on that network (and so no other network's).
        config = RepoConfig(
            setup=(f"grep -qF '{prefix}' /proc/net/fib_trie  # {secrets.token_hex(3)}",)
        )
        done = _prepare(docker_client, sandbox_image, repo, config, tmp_path, settings)
        made.append(done.tag)
        assert [s["exit_code"] for s in done.steps] == [0]
    finally:
        network.remove()
