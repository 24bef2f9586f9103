"""The sandbox's attack table: hostile commands against the real container engine (Podman).

Each row is what a hostile repository or a prompt-injected model could run in
the sandbox. Every row asserts that the attack failed (its own check) and that
nothing leaked: the runner's secrets, planted as canaries in this process's
environment (the runner's) and in a key file outside the workspace, appear
neither in the attack's output, nor anywhere a follow-up search inside the
container reads (environments and command lines of every process, the
workspace, /tmp, /etc, /run, /home, /root), nor in the container's
configuration on the engine. The search is proven to work on every row by
control values that *are* inside the sandbox and must be found.

One sandbox serves every row, in order: that each attack leaves it usable
and with no process of its own behind is part of the proof.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.sandbox.container import CommandResult, Sandbox, SandboxConfig
from tests.fixtures.containers import TEST_RUNNER_ID, assert_usable, leftovers

# Engine behaviour: run on Podman and on Docker Engine (tests/fixtures/containers.py).
pytestmark = pytest.mark.both_engines

LIMITS = {"memory": "256m", "pids": 64, "cpus": 1.0, "output_limit": 4000}
# Token-shaped, as the real ones are, so that a hunt for the shapes would find them.
CANARIES = {
    "GITHUB_TOKEN": f"ghs_canary{secrets.token_hex(12)}",
    "AWS_ACCESS_KEY_ID": f"AKIACANARY{secrets.token_hex(5).upper()}",
    "AWS_SECRET_ACCESS_KEY": f"canarysecret{secrets.token_hex(14)}",
    "BZZZ_AUDIT_SIGNING_KEY": f"canaryauditkey{secrets.token_hex(12)}",
}
APP_KEY_LINE = f"canaryappkey{secrets.token_hex(16)}"  # the body of the App key on the host
CONTROL_FILE = f"controlfile{secrets.token_hex(8)}"  # in the workspace: must be found
CONTROL_ENV = f"controlenv{secrets.token_hex(8)}"  # in the sandbox's own environment


@dataclass(frozen=True)
class Host:
    workspace: Path
    app_key: Path  # the runner's secret file, outside the workspace


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """The runner's environment with canaries, a key file beside the workspace, a hostile repo."""
    state = tmp_path_factory.mktemp("runner-state")
    app_key = state / "app-key.pem"
    app_key.write_text(f"-----BEGIN PRIVATE KEY-----\n{APP_KEY_LINE}\n-----END PRIVATE KEY-----\n")
    app_key.chmod(0o600)
    workspace = tmp_path_factory.mktemp("hostile-repo")
    (workspace / "CONTROL").write_text(CONTROL_FILE + "\n")
    # What the repository ships: links to the runner's secrets by their host paths.
    (workspace / "leak.pem").symlink_to(app_key)
    (workspace / "state").symlink_to(state)
    (workspace / "up").symlink_to("../..")
    with pytest.MonkeyPatch.context() as env:
        for name, value in CANARIES.items():
            env.setenv(name, value)
        env.setenv("GITHUB_APP_PRIVATE_KEY", app_key.read_text())
        yield Host(workspace, app_key)


@pytest.fixture(scope="module")
def box(docker_client, sandbox_image: str, host: Host) -> Iterator[Sandbox]:
    config = SandboxConfig(image=sandbox_image, env={"BZZZ_CONTROL": CONTROL_ENV}, **LIMITS)
    with Sandbox(
        docker_client, host.workspace, runner_id=TEST_RUNNER_ID, task_key="evil/repo#1",
        config=config,
    ) as sandbox:  # fmt: skip
        yield sandbox


def secrets_of_the_runner() -> list[str]:
    return [*CANARIES.values(), APP_KEY_LINE]


def _pattern(value: str) -> str:
    # `[g]hs_…` matches the value but not this pattern in grep's own command line.
    return f"[{value[0]}]{value[1:]}"


def search_inside(box: Sandbox) -> str:
    """Every canary or control value readable inside the container, one per line."""
    values = [*secrets_of_the_runner(), CONTROL_FILE, CONTROL_ENV]
    patterns = " ".join(f"-e '{_pattern(v)}'" for v in values)
    script = (
        f"{{ env; cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline; }} 2>/dev/null | tr '\\0' '\\n' "
        f"| grep -Eo {patterns}; "
        f"grep -rIEoh {patterns} /workspace /tmp /etc /run /home /root 2>/dev/null; true"
    )
    return box.run(script, timeout=60).output


# ----- the attacks and what "failed" means for each --------------------------------------


def _network(result: CommandResult, box: Sandbox, host: Host) -> None:
    # One connect attempt; with network "none" there is no route, so nothing leaves the box.
    assert result.exit_code == 1
    assert "Network is unreachable" in result.output
    assert box.run("ls /sys/class/net").output.split() == ["lo"]


def _fork_bomb_backgrounded(result: CommandResult, box: Sandbox, host: Host) -> None:
    # The command returns at once, and the wrapper kills what it left (checked after every row).
    assert not result.timed_out


def _fork_bomb(result: CommandResult, box: Sandbox, host: Host) -> None:
    # It fills the pids limit until the timeout kills it all.
    assert result.timed_out
    assert "Resource temporarily unavailable" in result.output
    # The runner (this process) can still start processes of its own.
    assert subprocess.run(["true"], check=False).returncode == 0


def _memory_hog(result: CommandResult, box: Sandbox, host: Host) -> None:
    assert result.exit_code == 137
    assert not result.timed_out
    assert "memory limit (256m)" in result.explanation


def _token_hunt(result: CommandResult, box: Sandbox, host: Host) -> None:
    lines = result.output.splitlines()
    assert "found:" not in result.output, result.output  # no token-shaped string anywhere
    assert "no engine socket" in lines  # nothing that would start a container on the host
    # The only host directory the container can write is the workspace.
    assert [line for line in lines if line.startswith("mount ")] == ["mount /workspace"]


def _symlink_escape(result: CommandResult, box: Sandbox, host: Host) -> None:
    # Inside the container the links resolve in its own file system: each of the four
    # reads, the write through the link and the read through a link to / fails
    # (/proc/1/root is the keeper's, another uid: permission denied).
    failures = re.findall(r"No such file or directory|Permission denied", result.output)
    assert len(failures) == 6, result.output
    assert host.app_key.read_text().splitlines()[1] == APP_KEY_LINE  # not written through


def _output_flood(result: CommandResult, box: Sandbox, host: Host) -> None:
    assert result.exit_code == 0
    assert result.truncated
    assert result.output.startswith("FIRST\ny\n")
    assert result.output.endswith("LAST\n")
    assert "[... output cut: " in result.output
    assert "bytes (" in result.output and "lines) dropped" in result.output
    assert len(result.output) < LIMITS["output_limit"] + 200


TOKEN_SHAPES = "'[g]h[sopu]_[A-Za-z0-9]{8,}|[A]KIA[A-Z0-9]{8,}|[P]RIVATE KEY|[c]anary'"
TOKEN_HUNT = (
    f"{{ env; cat /proc/[0-9]*/environ; }} 2>/dev/null | tr '\\0' '\\n' "
    f"| grep -E {TOKEN_SHAPES} | sed 's/^/found: /'; "
    f"grep -rIlE {TOKEN_SHAPES} /workspace /tmp /etc /run /home /root /var 2>/dev/null "
    "| sed 's/^/found: /'; "
    "ls /var/run/docker.sock /run/docker.sock /run/podman/podman.sock >/dev/null 2>&1 "
    "|| echo 'no engine socket'; "
    # Writable mounts from a host disk (the engine's own, /etc/hosts and the like, are read-only).
    'awk \'{for (i = 7; i <= NF; i++) if ($i == "-") src = $(i + 2)} '
    'src ~ /^[/]dev[/]/ && $6 ~ /^rw/ {print "mount " $5}\' /proc/self/mountinfo'
)
SYMLINK_ESCAPE = (
    "cat leak.pem; ls state/; cat up/*/app-key.pem; cat /proc/1/root/$(readlink leak.pem); "
    "echo pwned > leak.pem; ln -sfn / /workspace/root && cat /workspace/root$(readlink leak.pem)"
)


@dataclass(frozen=True)
class Attack:
    name: str
    command: str
    timeout: float
    failed: Callable[[CommandResult, Sandbox, Host], None]


ATTACKS = [
    Attack(
        "network",
        "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), 2)\"",
        20,
        _network,
    ),
    Attack("fork bomb, backgrounded", ":(){ :|:& };:", 10, _fork_bomb_backgrounded),
    Attack("fork bomb", "bomb() { bomb | bomb; }; bomb", 3, _fork_bomb),
    Attack("memory hog", "python3 -c \"x = b'a' * 2_000_000_000\"", 60, _memory_hog),
    Attack("token hunt", TOKEN_HUNT, 60, _token_hunt),
    Attack("symlink escape", SYMLINK_ESCAPE, 20, _symlink_escape),
    Attack("output flood", "echo FIRST; yes | head -c 50M; echo; echo LAST", 60, _output_flood),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_the_attack_fails_and_nothing_leaks(
    attack: Attack, box: Sandbox, host: Host, docker_client
) -> None:
    result = box.run(attack.command, timeout=attack.timeout)
    attack.failed(result, box, host)
    for secret in secrets_of_the_runner():
        assert secret not in result.output
    found = set(search_inside(box).split())
    assert {CONTROL_FILE, CONTROL_ENV} <= found  # the search reads what the sandbox holds
    assert not found & set(secrets_of_the_runner())
    engine_env = docker_client.api.inspect_container(box.id)["Config"]["Env"] or []
    assert not [v for v in engine_env for s in secrets_of_the_runner() if s in v]
    assert leftovers(box) == []
    assert_usable(box)
