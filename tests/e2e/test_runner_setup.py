"""A repository's setup through the whole runner: prepared offline, or failing on the issue.

The setup steps run in a preparation container (runner.prepare) before the agent's
sandbox starts from the image it left: here offline, from a wheelhouse on the host
(BZZZ_SETUP_NETWORK=off, BZZZ_WHEELHOUSE), and the agent - whose sandbox has no
network - imports what setup installed. A failing step ends the task failed,
naming the command, with its output's tail fenced on the issue.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from secrets import token_hex

import pytest

from runner.git.workspace import workspace_name
from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    REPO,
    TEST_COMMAND,
    calc_seed,
    finish,
    remote_branches,
    run_command,
    scenario,
    wait_for_end,
    write_file,
)
from tests.fixtures.wheels import DEMO_PACKAGE, DEMO_VALUE, wheelhouse

# Engine behaviour: run on Podman and on Docker Engine (tests/fixtures/containers.py).
pytestmark = pytest.mark.both_engines

KEY = f"{REPO}#1"
# A new fingerprint for each session: an image left by an earlier run is not reused.
INSTALL = f"pip install -r requirements.txt  # {token_hex(3)}"
FAILING = "echo fetching; echo 'ERROR: no matching distribution for @octocat' >&2; exit 7"


SECOND = "sum_to(n) is off by one"


def _seed(bzzz_yml: str) -> dict:
    seed = copy.deepcopy(calc_seed(bzzz_yml))
    seed["repos"][0]["files"]["requirements.txt"] = f"{DEMO_PACKAGE}\n"
    seed["repos"][0]["issues"].append(
        {"title": SECOND, "user": "alice", "body": "The same bug, reported again."}
    )
    return seed


def _events(runner_env: dict[str, str], number: int = 1) -> list[dict]:
    folder = Path(runner_env["BZZZ_STATE_DIR"], "trajectories")
    slug = workspace_name(f"{REPO}#{number}")  # how the trajectory of a task is named
    trajectory = next(p for p in folder.glob("*.jsonl") if p.name.startswith(f"{slug}-"))
    return [json.loads(line) for line in trajectory.read_text().splitlines()]


OFFLINE = f"test: {json.dumps(TEST_COMMAND)}\nsetup:\n  steps: [{json.dumps(INSTALL)}]\n"


@pytest.mark.github_seed(_seed(OFFLINE + "  network: false\n"))
def test_setup_prepares_the_image_offline_and_the_agent_imports_what_it_installed(
    github, ollama_emulator, runner_env, start_runner, create_task, aws_settings, tmp_path,
    docker_client,
):  # fmt: skip
    from bzzz.tasks.lifecycle import Lifecycle

    probe = f"python3 -c 'import {DEMO_PACKAGE}; print({DEMO_PACKAGE}.VALUE)'"
    ollama_emulator.set_scenario(
        scenario([run_command(probe), write_file("calc.py", FIXED_CALC), finish("fixed")])
    )
    env = {**runner_env, "BZZZ_SETUP_NETWORK": "off"}
    env["BZZZ_WHEELHOUSE"] = str(wheelhouse(tmp_path / "wheelhouse"))
    runner = start_runner(env)
    create_task()
    task = wait_for_end(Lifecycle(aws_settings), KEY)
    assert task.state == "completed", task.reason
    # A second task on the same repository, nothing changed in its dependencies.
    ollama_emulator.set_scenario(
        scenario([run_command(probe), write_file("calc.py", FIXED_CALC), finish("fixed")])
    )
    create_task(2, SECOND)
    again = wait_for_end(Lifecycle(aws_settings), f"{REPO}#2")
    assert again.state == "completed", again.reason
    runner.stop()
    first, second = (
        next(e for e in _events(runner_env, n) if e["event"] == "prepare") for n in (1, 2)
    )
    print(f"\nprepare through the runner: first {first['seconds']} s, second {second['seconds']} s")
    try:
        assert first["image"].startswith("bzzz-prep:") and first["reused"] is False
        assert [s["exit_code"] for s in first["steps"]] == [0]
        assert (second["image"], second["reused"], second["steps"]) == (first["image"], True, [])
        for number in (1, 2):  # the agent, with no network, imported what setup installed
            step = next(e["step"] for e in _events(runner_env, number) if e["event"] == "step")
            assert step["exit_code"] == 0 and DEMO_VALUE in step["output_excerpt"]
    finally:
        docker_client.images.remove(first["image"], force=True)


@pytest.mark.github_seed(
    _seed(f"test: {json.dumps(TEST_COMMAND)}\nsetup: [{json.dumps(FAILING)}]\n")
)
def test_a_failing_setup_fails_the_task_and_the_issue_gets_the_command_and_its_tail(
    github, ollama_emulator, runner_env, start_runner, create_task, aws_settings
):
    from bzzz.tasks.lifecycle import Lifecycle

    ollama_emulator.set_scenario(scenario([finish("never reached")]))
    runner = start_runner()
    create_task()
    task = wait_for_end(Lifecycle(aws_settings), KEY)
    runner.stop()
    assert task.state == "failed"
    assert task.reason == f"setup failed: `{FAILING}` (exit 7)"
    assert list(remote_branches(github.git_url(REPO))) == ["main"]
    events = _events(runner_env)
    assert not [e for e in events if e["event"] == "step"]  # no agent step ran
    failed = next(e for e in events if e["event"] == "setup_failed")
    assert "no matching distribution" in failed["tail"]  # for the operator, in full
    comments = github.client("alice").rest.issues.list_comments("acme", "calc", 1).json()
    notes = [c["body"] for c in comments if "could not prepare" in c["body"]]
    assert len(notes) == 1, [c["body"] for c in comments]
    assert "(exit 7)" in notes[0] and "```\nfetching\nERROR: no matching distribution" in notes[0]
    assert "@octocat" not in notes[0]  # neutralised: no live mention
    assert runner.process.results[KEY] == "failed"
