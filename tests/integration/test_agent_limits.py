"""The agent's limits on the real parts: budgets, loops, hangs, floods, the context window, Ollama.

Same setting as test_agent.py (tests/fixtures/agent_sandbox.py): a Podman sandbox
shared by the module, and the Ollama stand-in over HTTP playing scripted models.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from runner.agent.budgets import Budgets
from runner.agent.model import Model
from runner.errors import ModelNotFoundError, ModelUnavailableError
from runner.sandbox.container import Sandbox
from tests.fixtures.agent_sandbox import (
    TEST_COMMAND,
    call,
    make_agent,
    model_spec,
    scenario,
    sent_messages,
)


def runs(*commands: str) -> list[dict]:
    return [{"tool_calls": [call("run_command", command=c)]} for c in commands]


FINISH = {"tool_calls": [call("finish", summary="done")]}


def test_a_model_that_never_finishes_stops_at_the_iteration_budget(
    ollama_emulator, repo: Sandbox, tmp_path: Path
):
    # A new output every time (a counter), so no loop is detected: only the budget stops it.
    spec = model_spec("busy:1b", script=[], fallback=runs("echo x >> n; wc -l < n")[0])
    ollama_emulator.set_scenario(scenario(spec))
    outcome = make_agent(
        ollama_emulator, repo, "busy:1b", tmp_path, budgets=Budgets(iterations=4)
    ).run()

    assert (outcome.kind, outcome.limit, outcome.iterations) == ("budget", "iterations", 4)
    assert outcome.reason == "iteration budget spent (4 steps)"
    assert len(outcome.commands) == 4
    assert len(ollama_emulator.requests("/api/chat")) == 4
    assert (
        json.loads((tmp_path / "trajectory.json").read_text())["outcome"]["limit"] == "iterations"
    )


def test_the_token_budget_stops_before_the_next_call(
    ollama_emulator, repo: Sandbox, tmp_path: Path
):
    spec = model_spec("busy:1b", script=[], fallback=runs("echo x >> n; wc -l < n")[0])
    ollama_emulator.set_scenario(scenario(spec))
    budgets = Budgets(iterations=50, tokens=1500)
    outcome = make_agent(ollama_emulator, repo, "busy:1b", tmp_path, budgets=budgets).run()

    assert (outcome.kind, outcome.limit) == ("budget", "tokens")
    assert outcome.tokens >= 1500
    assert outcome.iterations == len(ollama_emulator.requests("/api/chat"))


def test_the_same_command_with_the_same_result_is_a_loop(
    ollama_emulator, repo: Sandbox, tmp_path: Path
):
    ollama_emulator.set_scenario(scenario(model_spec("tiny:1b", script=[], fallback=runs("ls")[0])))
    outcome = make_agent(
        ollama_emulator, repo, "tiny:1b", tmp_path, budgets=Budgets(iterations=20)
    ).run()

    assert (outcome.kind, outcome.limit, outcome.iterations) == ("budget", "loop", 3)
    assert outcome.reason == "loop detected: `ls` gave the same result 3 times in a row"


def test_an_a_b_a_b_cycle_is_a_loop(ollama_emulator, repo: Sandbox, tmp_path: Path):
    spec = model_spec(
        "pingpong:1b",
        rules=[{"when": {"last_tool_contains": "ping"}, "reply": runs("echo pong")[0]}],
        fallback=runs("echo ping")[0],
    )
    ollama_emulator.set_scenario(scenario(spec))
    outcome = make_agent(ollama_emulator, repo, "pingpong:1b", tmp_path).run()

    assert (outcome.kind, outcome.limit, outcome.iterations) == ("budget", "loop", 4)
    assert "`echo ping` and `echo pong` alternate" in str(outcome.reason)


def test_a_hung_command_is_killed_at_its_timeout_and_the_loop_goes_on(
    ollama_emulator, repo: Sandbox, tmp_path: Path
):
    ollama_emulator.set_scenario(
        scenario(model_spec("sleepy:7b", script=[*runs("sleep 60"), FINISH]))
    )
    outcome = make_agent(ollama_emulator, repo, "sleepy:7b", tmp_path, command_timeout=2).run()

    assert (outcome.kind, outcome.iterations) == ("finished", 2)
    assert outcome.commands[0].exit_code == 124
    told = sent_messages(ollama_emulator)[1][-1]
    assert told["role"] == "tool" and "timed out after 2s" in told["content"]


def test_an_output_flood_reaches_the_model_capped(ollama_emulator, repo: Sandbox, tmp_path: Path):
    flood = "yes 'flood flood flood' | head -c 3000000"
    ollama_emulator.set_scenario(scenario(model_spec("floody:7b", script=[*runs(flood), FINISH])))
    outcome = make_agent(ollama_emulator, repo, "floody:7b", tmp_path).run()

    assert outcome.kind == "finished"
    told = sent_messages(ollama_emulator)[1][-1]["content"]
    assert "output cut" in told and "bytes" in told
    assert len(told) < 4400  # the module's sandbox keeps 4000 bytes, plus the markers


def test_history_drops_the_oldest_observations_first_and_keeps_the_task(
    ollama_emulator, repo: Sandbox, tmp_path: Path
):
    # Five outputs of 400 characters each in a window of 1024 tokens: the early ones cannot stay.
    letters = "ABCDE"
    script = [f"Step.\n\n```bash\npython3 -c \"print('{c}' * 400)\"\n```" for c in letters]
    spec = model_spec("small:1b", tools=False, script=[*script, "BZZZ_DONE: printed"])
    # "error" rather than "truncate": the stand-in refuses any prompt over num_ctx, so passing
    # proves the agent's own fit kept every request inside the window.
    ollama_emulator.set_scenario({**scenario(spec), "context_overflow": "error"})
    outcome = make_agent(ollama_emulator, repo, "small:1b", tmp_path, num_ctx=1024).run()

    assert (outcome.kind, outcome.iterations) == ("finished", 6)
    last = sent_messages(ollama_emulator)[-1]
    assert last[0]["role"] == "system" and "BZZZ_DONE:" in last[0]["content"]
    assert last[1]["role"] == "user" and last[1]["content"].startswith("Issue acme/calc#1: ")
    observations = [m["content"] for m in last if m["role"] == "user"][1:]
    assert observations[0].startswith("[observation of step 1 dropped: ")
    assert "E" * 400 in observations[-1]  # the latest stays whole
    kept = [c for c in letters if any(c * 400 in o for o in observations)]
    dropped = [c for c in letters if c not in kept]
    assert dropped and dropped == list(letters[: len(dropped)])  # oldest first
    assert all(r["status"] == 200 for r in ollama_emulator.requests("/api/chat"))


def test_check_reports_tools_support(ollama_emulator):
    ollama_emulator.set_scenario(scenario(model_spec("a:1b"), model_spec("b:1b", tools=False)))
    assert Model("a:1b", host=ollama_emulator.base_url).check().supports_tools is True
    assert Model("b:1b", host=ollama_emulator.base_url).check().supports_tools is False


def test_unknown_model_is_model_not_found_at_check(ollama_emulator):
    with pytest.raises(ModelNotFoundError, match=r"'nope:1b' is not on the Ollama host"):
        Model("nope:1b", host=ollama_emulator.base_url).check()


def test_ollama_unreachable_is_model_unavailable():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = Model("a:1b", host=f"http://127.0.0.1:{port}")
    with pytest.raises(ModelUnavailableError, match="unreachable"):
        model.check()
    with pytest.raises(ModelUnavailableError, match="unreachable"):
        model.chat([{"role": "user", "content": "hi"}])


def test_ollama_failing_mid_task_raises_and_keeps_the_trajectory(
    ollama_emulator, repo: Sandbox, tmp_path: Path
):
    spec = model_spec(
        "flaky:7b", script=[*runs(TEST_COMMAND), {"error": "out of memory", "status": 500}]
    )
    ollama_emulator.set_scenario(scenario(spec))
    agent = make_agent(ollama_emulator, repo, "flaky:7b", tmp_path)
    with pytest.raises(ModelUnavailableError, match="out of memory"):
        agent.run()
    saved = json.loads((tmp_path / "trajectory.json").read_text())
    assert [s["action"] for s in saved["steps"]] == [TEST_COMMAND]
    assert saved["outcome"] is None
