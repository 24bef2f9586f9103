"""The agent on an OpenAI-compatible server (llama.cpp's server, vLLM, LM Studio, Ollama's /v1):
the same scripted fix as through Ollama's API, over /v1/chat/completions of the stand-in,
whose exchanges are held to OpenAI's API description at teardown (tests/fixtures/ollama.py).
Plus what small local models do: a tool call written as JSON text, and broken arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.agent.budgets import Budgets
from runner.agent.loop import Agent
from runner.agent.model import Model
from runner.errors import ModelNotFoundError
from runner.sandbox.container import Sandbox
from tests.fixtures.agent_sandbox import (
    FIXED,
    PATCH,
    TASK,
    TEST_COMMAND,
    call,
    model_spec,
    scenario,
)

SCRIPT = [
    {"tool_calls": [call("run_command", command=TEST_COMMAND)]},
    {"tool_calls": [call("read_file", path="calc.py")]},
    {"tool_calls": [call("apply_patch", patch=PATCH)]},
    {"tool_calls": [call("finish", summary="Fixed the divisor in average().")]},
]


def openai_agent(emulator, box: Sandbox, name: str, tmp_path: Path, **kwargs) -> Agent:
    model = Model(name, host=emulator.base_url, api="openai")
    return Agent(model, box, TASK, Budgets(iterations=10, wall_clock_seconds=120),
                 trajectory_path=tmp_path / "t.json", test_command=TEST_COMMAND,
                 **kwargs)  # fmt: skip


def test_the_fix_through_the_openai_compatible_api(ollama_emulator, repo: Sandbox, tmp_path):
    ollama_emulator.set_scenario(scenario(model_spec("coder-7b", script=SCRIPT)))
    outcome = openai_agent(ollama_emulator, repo, "coder-7b", tmp_path).run()

    assert (outcome.kind, outcome.summary) == ("finished", "Fixed the divisor in average().")
    assert repo.run("cat calc.py").output == FIXED
    assert outcome.tokens > 0
    chats = ollama_emulator.requests("/v1/chat/completions")
    assert len(chats) == 4 and not ollama_emulator.requests("/api/chat")
    last = chats[-1]["body"]
    assert last["tools"][0]["type"] == "function" and "num_ctx" not in json.dumps(last)
    # Each tool result answers its call by id; arguments travel as JSON text.
    calls = [m for m in last["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    results = [m for m in last["messages"] if m["role"] == "tool"]
    assert [c["tool_calls"][0]["id"] for c in calls] == [r["tool_call_id"] for r in results]
    assert json.loads(calls[1]["tool_calls"][0]["function"]["arguments"]) == {"path": "calc.py"}
    assert "len(values) - 1" in results[1]["content"]


def test_a_window_the_server_reports_is_used_and_a_missing_model_is_named(
    ollama_emulator, repo: Sandbox, tmp_path
):
    ollama_emulator.set_scenario(scenario(model_spec("coder-7b", script=SCRIPT)))
    with pytest.raises(
        ModelNotFoundError, match=r"'nope' is not served at .* \(it serves: coder-7b"
    ):
        Model("nope", host=ollama_emulator.base_url, api="openai").check()
    info = Model("coder-7b", host=f"{ollama_emulator.base_url}/v1", api="openai").check()
    assert (info.name, info.supports_tools) == ("coder-7b", True)


def test_a_tool_call_written_as_text_is_repaired_and_said_so(
    ollama_emulator, repo: Sandbox, tmp_path
):
    as_text = json.dumps({"name": "run_command", "arguments": {"command": TEST_COMMAND}})
    ollama_emulator.set_scenario(scenario(model_spec("small-1b", script=[
        f"```json\n{as_text}\n```",  # how small models often answer
        {"tool_calls": [call("apply_patch", patch=PATCH)]},
        {"tool_calls": [call("finish", summary="fixed")]},
    ])))  # fmt: skip
    steps: list = []
    outcome = openai_agent(ollama_emulator, repo, "small-1b", tmp_path, on_step=steps.append).run()

    assert outcome.kind == "finished"
    assert outcome.commands[0].command == TEST_COMMAND and outcome.commands[0].exit_code == 1
    assert steps[0].action == "repaired: a run_command call written as text"
    saved = json.loads((tmp_path / "t.json").read_text())
    assert saved["steps"][0]["action"].startswith("repaired: ")
    # What the model is shown next is its call and the result, as if it had used the tool.
    sent = ollama_emulator.requests("/v1/chat/completions")[1]["body"]["messages"]
    assert sent[-2]["tool_calls"][0]["function"]["name"] == "run_command"
    assert sent[-1]["role"] == "tool" and "FAILED" in sent[-1]["content"]
