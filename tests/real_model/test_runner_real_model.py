"""The runner with a real model in the loop: Qwen2.5-Coder-0.5B-Instruct on xllamacpp's
llama.cpp server, reached as any OpenAI-compatible server (BZZZ_MODEL_API=openai), on the
whole local stack that `bzzz demo --repo` runs (moto, the GitHub stand-in, the control
plane, Podman, one runner).

The repository is `mylib` (tests/fixtures/git_repos.py): word_count miscounts extra
spaces and a test says so. Whether so small a model fixes it is not what is tested: a
real model's messy output (tool calls written as text, malformed arguments, chatter,
loops) must end the task cleanly, within small budgets: a draft pull request, or a
failure (or a help request) with the partial branch kept and a clear report, never a
crash, a hang, or internal error text on the issue. What the model did is printed
(`pytest -s`) for the record.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.demo_stack import DemoStack
from cli.demo_world import imported_world
from infra.model_server import ModelServer
from tests.fixtures.git_repos import make_package_repo

# Small budgets, so that the task ends in minutes on two shared cores.
BUDGETS = "budgets: {iterations: 6, wall_clock_seconds: 240, tokens: 80000}\n"
ISSUE = """word_count miscounts text with extra spaces

`word_count("hello   world\\n")` in mylib/textutil.py returns 4 instead of 2, so
tests/test_textutil.py::test_word_count_ignores_extra_spaces fails.
"""
END_WAIT_SECONDS = 900.0  # the budget, one last model call, verification, pushing
INTERNAL = ("Traceback", 'File "/', "Error: ", "Exception")


def _wait_for_end(stack: DemoStack) -> Any:
    from bzzz.tasks.lifecycle import Lifecycle
    from bzzz.tasks.states import TERMINAL, State

    lifecycle = Lifecycle(stack.settings)
    key = f"{stack.world.repo}#{stack.world.issue}"
    deadline = time.monotonic() + END_WAIT_SECONDS
    while time.monotonic() < deadline:
        task = lifecycle.get(key)
        if task is not None and State(task.state) in TERMINAL | {State.ESCALATED}:
            return task
        time.sleep(0.5)
    return lifecycle.get(key)


def _what_github_shows(stack: DemoStack) -> dict[str, Any]:
    base, repo = stack.github.base_url, stack.world.repo
    stack.supervisor.drain_now()  # status sync has written the status comment
    comments = httpx.get(f"{base}/repos/{repo}/issues/{stack.world.issue}/comments").json()
    branches = [b["name"] for b in httpx.get(f"{base}/repos/{repo}/branches").json()]
    pulls = httpx.get(f"{base}/repos/{repo}/pulls", params={"state": "all"}).json()
    return {"comments": [c["body"] for c in comments], "branches": branches, "pulls": pulls}


def _agent_record(state: Path) -> dict[str, Any]:
    records = sorted((state / "trajectories").glob("*.agent.json"))
    assert len(records) == 1, f"one agent trajectory expected, found {records}"
    data: dict[str, Any] = json.loads(records[0].read_text(encoding="utf-8"))
    return data


@pytest.mark.timeout(1500)
def test_a_real_model_s_task_ends_cleanly_with_a_pull_request_or_a_clear_failure(
    tmp_path: Path, model_server: ModelServer
):
    source = make_package_repo(tmp_path / "mylib", bzzz_yml=BUDGETS)
    lines: list[str] = []
    stack = DemoStack(
        tmp_path / "stack", say=lines.append, world=imported_world(source, ISSUE),
        model=model_server.alias, openai_url=model_server.url,
        runner_id=f"real-model-runner-{uuid.uuid4().hex[:8]}",  # no other stack reaps its sandbox
    )  # fmt: skip
    try:
        stack.start()
        stack.label()
        task = _wait_for_end(stack)
        shown = _what_github_shows(stack)
    finally:
        stack.close()
    record = _agent_record(tmp_path / "stack")
    outcome = record["outcome"]
    steps = record["steps"]
    repaired = [s["action"] for s in steps if s["action"].startswith("repaired: ")]
    print(f"\nreal model: {model_server.alias}; task {task.state}: {task.reason}")
    print(f"agent: {outcome['kind']} ({outcome.get('reason') or outcome.get('summary')}), "
          f"{outcome['iterations']} iterations, {outcome['tokens']} tokens, "
          f"{len(outcome['commands'])} commands, {len(repaired)} repaired calls")  # fmt: skip
    for step in steps:
        print(f"  {step['iteration']:>2} {step['action'][:100]!r} -> {step['exit_code']}")

    # The stack talked to the real model through the OpenAI-compatible API.
    assert f"model: {model_server.alias} on the OpenAI-compatible server" in "\n".join(lines)
    assert outcome["tokens"] > 0 and 1 <= outcome["iterations"] <= 6
    # It ended: no hang, and not a crash (an agent error is a model or sandbox refusing).
    assert task.state in ("completed", "failed", "escalated"), task.state
    assert outcome["kind"] in ("finished", "budget", "help"), outcome
    # Every call written as text was taken and said so in the trajectory.
    assert all(a.startswith("repaired: a ") and a.endswith(" call written as text")
               for a in repaired)  # fmt: skip
    # What the issue shows is a report for people: a status comment, no internal error text.
    status = [c for c in shown["comments"] if "<!-- bzzz:status -->" in c]
    assert status, shown["comments"]
    assert f"| State | `{task.state}` |" in status[-1]
    assert ("| Verification |" if task.state == "completed" else "| Reason |") in status[-1]
    if task.branch:
        assert f"| Branch | `{task.branch}` |" in status[-1]
    for comment in shown["comments"]:
        assert not any(text in comment for text in INTERNAL), comment
    if task.state == "completed":
        # A green finish: the tests passed in the sandbox, and the draft PR is the branch.
        assert outcome["kind"] == "finished" and outcome["test"]["exit_code"] == 0
        assert [(p["head"]["ref"], p["draft"]) for p in shown["pulls"]] == [(task.branch, True)]
    else:
        # No green finish: no pull request; whatever the agent changed is kept on its branch.
        assert shown["pulls"] == []
        assert task.reason, "a failed or escalated task says why"
        if task.branch:
            assert task.branch in shown["branches"]
        if task.state == "escalated":
            assert outcome["kind"] == "help"
