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
    wait_for_end,
    write_file,
)
from tests.fixtures.wheels import DEMO_PACKAGE, DEMO_VALUE, wheelhouse

KEY = f"{REPO}#1"
INSTALL = "python3 $(ls /wheelhouse/pip-*.whl)/pip install -r requirements.txt"
FAILING = "echo fetching; echo 'ERROR: no matching distribution for @octocat' >&2; exit 7"


def _seed(bzzz_yml: str) -> dict:
    seed = copy.deepcopy(calc_seed(bzzz_yml))
    seed["repos"][0]["files"]["requirements.txt"] = f"{DEMO_PACKAGE}\n"
    return seed


def _events(runner_env: dict[str, str]) -> list[dict]:
    trajectory = next(Path(runner_env["BZZZ_STATE_DIR"], "trajectories").glob("*.jsonl"))
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
    runner.stop()
    assert task.state == "completed", task.reason
    events = _events(runner_env)
    prepared = next(e for e in events if e["event"] == "prepare")
    assert prepared["image"].startswith("bzzz-prep:") and prepared["reused"] is False
    assert [s["exit_code"] for s in prepared["steps"]] == [0]
    step = next(e["step"] for e in events if e["event"] == "step")
    assert step["exit_code"] == 0 and DEMO_VALUE in step["output_excerpt"]
    docker_client.images.remove(prepared["image"], force=True)


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
    assert not [e for e in _events(runner_env) if e["event"] == "step"]  # no agent step ran
    comments = github.client("alice").rest.issues.list_comments("acme", "calc", 1).json()
    notes = [c["body"] for c in comments if "could not prepare" in c["body"]]
    assert len(notes) == 1, [c["body"] for c in comments]
    assert "(exit 7)" in notes[0] and "```\nfetching\nERROR: no matching distribution" in notes[0]
    assert "@octocat" not in notes[0]  # neutralised: no live mention
    assert runner.process.results[KEY] == "failed"
