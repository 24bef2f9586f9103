"""The sandbox against a real container engine (Podman's Docker API in CI): limits hold.

One sandbox is shared by the tests that leave it as they found it (which is
itself part of the proof: after a hang the same sandbox still answers); tests
about lifecycles make their own. The hostile commands (network, fork bomb,
memory hog, token hunt, symlink escape, output flood) are rows of the attack
table in tests/security/test_sandbox_attacks.py.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.errors import ImageNotFoundError, SandboxGoneError
from runner.sandbox.container import RUNNER_LABEL, TASK_LABEL, Sandbox, SandboxConfig, reap_orphans
from tests.fixtures.containers import TEST_RUNNER_ID, assert_usable, leftovers

LIMITS = {"memory": "256m", "pids": 64, "cpus": 1.0, "output_limit": 4000}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shared-workspace")
    (path / "hello.py").write_text("print('hello from the repo')\n")
    return path


@pytest.fixture(scope="module")
def box(docker_client, sandbox_image: str, workspace: Path) -> Iterator[Sandbox]:
    config = SandboxConfig(image=sandbox_image, **LIMITS)
    with Sandbox(
        docker_client, workspace, runner_id=TEST_RUNNER_ID, task_key="octo/demo#7", config=config
    ) as sandbox:
        yield sandbox


@pytest.mark.both_engines
def test_command_output_and_exit_code_come_back(box: Sandbox):
    result = box.run("python3 hello.py; echo oops >&2; exit 3")
    assert result.exit_code == 3
    assert result.output == "hello from the repo\noops\n"
    assert not result.timed_out and not result.truncated
    assert result.explanation == "exited with code 3"
    assert result.observation().endswith("[exit code 3] exited with code 3")


@pytest.mark.both_engines
def test_a_missing_command_is_an_observation_not_an_exception(box: Sandbox):
    result = box.run("no-such-tool --help")
    assert result.exit_code == 127
    assert "not found" in result.output
    assert result.explanation == "command not found"


@pytest.mark.both_engines
def test_hanging_command_is_killed_at_its_timeout_and_the_sandbox_stays_usable(box: Sandbox):
    result = box.run("echo started; sleep 600", timeout=2)
    assert result.timed_out
    assert result.exit_code == 124
    assert result.output.startswith("started\n")
    assert "timed out after 2s" in result.explanation
    assert 2 <= result.duration < 15
    assert leftovers(box) == []  # nothing of it is left
    assert_usable(box)


@pytest.mark.both_engines
def test_a_command_that_ignores_term_and_escapes_its_group_is_killed_too(box: Sandbox):
    result = box.run("trap '' TERM; setsid sleep 600 & sleep 600", timeout=1)
    assert result.timed_out
    assert leftovers(box) == []
    assert_usable(box)


@pytest.mark.both_engines
def test_workspace_is_writable_and_shared_while_the_root_is_read_only(
    box: Sandbox, workspace: Path
):
    result = box.run("echo from-the-sandbox > /workspace/made-inside.txt && pwd")
    assert result.output == "/workspace\n"
    assert (workspace / "made-inside.txt").read_text() == "from-the-sandbox\n"
    root = box.run("touch /etc/owned")
    assert root.exit_code == 1
    assert "Read-only file system" in root.output
    scratch = box.run("echo ok > /tmp/scratch && cat /tmp/scratch && echo $HOME")
    assert scratch.output == "ok\n/tmp\n"


@pytest.mark.both_engines
def test_commands_run_as_non_root_without_capabilities(box: Sandbox):
    result = box.run(
        "id -u; grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status; grep NoNewPrivs /proc/self/status"
    )
    lines = result.output.splitlines()
    assert lines[0] != "0"
    assert lines[1:4] == [
        "CapPrm:\t0000000000000000",
        "CapEff:\t0000000000000000",
        "CapBnd:\t0000000000000000",
    ]
    assert lines[4] == "NoNewPrivs:\t1"


@pytest.mark.both_engines
def test_container_carries_the_limits_and_labels(box: Sandbox, docker_client):
    attrs = docker_client.api.inspect_container(box.id)
    host = attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["PidsLimit"] == 64
    assert host["Memory"] == 256 * 1024**2
    assert host["MemorySwap"] == 256 * 1024**2
    assert host["NanoCpus"] == 1_000_000_000
    assert attrs["Config"]["Labels"][RUNNER_LABEL] == TEST_RUNNER_ID
    assert attrs["Config"]["Labels"][TASK_LABEL] == "octo/demo#7"


@pytest.mark.both_engines
def test_the_container_is_gone_after_the_context_also_when_the_body_raises(
    docker_client, sandbox_image: str, tmp_path: Path
):
    config = SandboxConfig(image=sandbox_image)
    with Sandbox(
        docker_client, tmp_path, runner_id=TEST_RUNNER_ID, task_key="o/r#1", config=config
    ) as box:
        first = box.id
        assert box.run("true").exit_code == 0
    seen: list[tuple[Sandbox, str]] = []

    def crash() -> None:
        with Sandbox(
            docker_client, tmp_path, runner_id=TEST_RUNNER_ID, task_key="o/r#2", config=config
        ) as box:
            seen.append((box, box.id))
            raise RuntimeError("agent crashed")

    with pytest.raises(RuntimeError, match="agent crashed"):
        crash()
    box, second = seen[0]
    ids = {c.id for c in docker_client.containers.list(all=True)}
    assert first not in ids and second not in ids
    with pytest.raises(SandboxGoneError):
        box.run("true")
    box.remove()  # idempotent


@pytest.mark.both_engines
def test_orphans_from_an_earlier_life_are_reaped(docker_client, sandbox_image: str, tmp_path: Path):
    config = SandboxConfig(image=sandbox_image)
    earlier_life, neighbour = f"crashed-{os.getpid()}", f"neighbour-{os.getpid()}"

    def start(runner_id: str, key: str) -> str:
        # Started and never removed: what a runner killed mid-task leaves behind.
        sandbox = Sandbox(docker_client, tmp_path, runner_id=runner_id, task_key=key, config=config)
        return sandbox.start().id

    orphans = {start(earlier_life, "o/r#1"), start(earlier_life, "o/r#2")}
    docker_client.api.stop(next(iter(orphans)), timeout=0)  # a stopped one is reaped too
    survivor = start(neighbour, "o/r#3")
    try:
        reaped = reap_orphans(docker_client, earlier_life)
        assert len(reaped) == 2
        present = {c.id for c in docker_client.containers.list(all=True)}
        assert not orphans & present
        assert survivor in present  # another runner's sandbox is not ours to remove
        assert reap_orphans(docker_client, earlier_life) == []
    finally:
        reap_orphans(docker_client, neighbour)


@pytest.mark.both_engines
def test_abandoned_sandboxes_are_judged_by_their_lease_within_their_deployment_only(
    docker_client, sandbox_image: str, tmp_path: Path
):
    from runner.sandbox.config import DEPLOYMENT_LABEL
    from runner.sandbox.reaper import reap_abandoned

    mine, other = f"deploy-{os.getpid()}", f"elsewhere-{os.getpid()}"
    started: list[str] = []

    def start(deployment: str, runner_id: str, key: str) -> str:
        config = SandboxConfig(image=sandbox_image, labels=((DEPLOYMENT_LABEL, deployment),))
        box = Sandbox(docker_client, tmp_path, runner_id=runner_id, task_key=key, config=config)
        started.append(box.start().id)
        return started[-1]

    held = start(mine, "alive", "o/r#1")  # its runner holds the lease
    taken_over = start(mine, "dead", "o/r#2")  # another runner took the task over
    finished = start(mine, "dead", "o/r#3")  # nobody holds it: done, cancelled, expired
    foreign = start(other, "dead", "o/r#3")  # another deployment's: never judged here
    leases = {"o/r#1": "alive", "o/r#2": "alive"}
    try:
        removed = reap_abandoned(docker_client, mine, leases.get)
        present = {c.id for c in docker_client.containers.list(all=True)}
        assert len(removed) == 2 and not {taken_over, finished} & present
        assert {held, foreign} <= present
        assert reap_abandoned(docker_client, mine, leases.get) == []
    finally:
        for container_id in started:
            with contextlib.suppress(Exception):
                docker_client.containers.get(container_id).remove(force=True)


@pytest.mark.both_engines
def test_a_missing_image_is_a_typed_error(docker_client, tmp_path: Path):
    config = SandboxConfig(image="bzzz-no-such-image:never")
    with pytest.raises(ImageNotFoundError, match="bzzz-no-such-image"):
        Sandbox(
            docker_client, tmp_path, runner_id=TEST_RUNNER_ID, task_key="o/r#9", config=config
        ).start()
    assert os.path.isdir(tmp_path)


def test_a_second_finder_reuses_the_running_engine(container_engine):
    from infra.container_engine import container_engine as find_or_start

    with find_or_start() as again:
        assert again.base_url == container_engine.base_url
        assert not again.started_here  # it is not ours to stop
        assert again.client().ping()


def test_a_live_process_under_the_same_runner_id_keeps_its_sandboxes(
    container_engine, docker_client, sandbox_image: str, tmp_path: Path
):
    """Two `bzzz demo` at once both run as `demo-runner`: one's start must not remove the
    other's sandboxes; a dead process's are orphans whatever id they carry."""
    import subprocess
    import sys

    shared = f"shared-{os.getpid()}"
    # Another process, alive, starts a sandbox under the shared id and keeps running.
    code = (
        "import sys, time; from pathlib import Path; "
        "from runner.sandbox.container import Sandbox, SandboxConfig; import docker; "
        f"box = Sandbox(docker.DockerClient(base_url={container_engine.base_url!r}), "
        f"Path({str(tmp_path)!r}), runner_id={shared!r}, task_key='o/r#1', "
        f"config=SandboxConfig(image={sandbox_image!r})).start(); "
        "print(box.id, flush=True); time.sleep(600)"
    )
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None
        theirs = other.stdout.readline().strip()
        assert theirs, "the other process started no sandbox"
        assert reap_orphans(docker_client, shared) == []
        assert docker_client.containers.get(theirs).status == "running"
        other.kill()
        other.wait(30)
        assert len(reap_orphans(docker_client, shared)) == 1  # now it is an orphan
    finally:
        if other.poll() is None:
            other.kill()
        with contextlib.suppress(Exception):
            reap_orphans(docker_client, shared)
