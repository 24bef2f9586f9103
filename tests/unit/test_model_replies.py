"""What small models and OpenAI-compatible servers send, read without a server: tool calls
written as text, arguments that are not JSON, and the message shapes of OpenAI's API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.agent.budgets import Budgets
from runner.agent.loop import Agent
from runner.agent.model import ModelReply, ToolCall
from runner.agent.openai_api import _tool_call, _window, openai_messages
from runner.agent.tools import call_in_text, no_tool_call
from runner.agent.types import TaskBrief
from tests.unit.agent_fakes import FakeSandbox, ScriptedModel, call, calls

TASK = TaskBrief("o/r#1", "o/r", 1, "t", "b")


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "run_command", "arguments": {"command": "ls"}}',
        '```json\n{"name": "run_command", "arguments": {"command": "ls"}}\n```',
        '[{"name": "run_command", "parameters": {"command": "ls"}}]',
        '{"function": {"name": "run_command", "arguments": "{\\"command\\": \\"ls\\"}"}}',
    ],
)
def test_one_known_call_written_as_json_is_taken(text):
    assert call_in_text(text) == ToolCall("run_command", {"command": "ls"})


@pytest.mark.parametrize(
    "text",
    [
        'I will run {"name": "run_command", "arguments": {"command": "ls"}}',  # more than it
        '{"name": "rm_everything", "arguments": {}}',  # no such tool
        '[{"name": "run_command", "arguments": {}}, {"name": "finish", "arguments": {}}]',
        '{"name": "run_command", "arguments": "not json"}',
        '{"name": "run_command", "arguments": {"command": "ls"}',  # cut short
        "```bash\nls\n```",
    ],
)
def test_anything_else_is_left_to_the_format_error(text):
    assert call_in_text(text) is None


def test_several_calls_written_as_text_are_none_run_and_the_model_is_told_so(tmp_path: Path):
    # What Qwen2.5-Coder-0.5B sent in bzzz eval: one JSON call per line, steps at once.
    lines = (
        '{"name": "run_command", "arguments": {"command": "python -m pytest -q"}}\n'
        '{"name": "finish", "summary": "The issue is resolved and the tests pass."}'
    )
    listed = '[{"name": "read_file", "arguments": {"path": "a"}}, {"name": "finish"}]'
    for text in (lines, f"```json\n{lines}\n```", listed):
        assert call_in_text(text) is None
        assert no_tool_call(text).startswith("Your reply wrote 2 tool calls as text, so none")
    assert no_tool_call("I think so.").startswith("Your reply called no tool.")
    model = ScriptedModel([lines, calls(call("finish", summary="s"))])
    box = FakeSandbox()
    Agent(model, box, TASK, Budgets(iterations=5)).run()  # type: ignore[arg-type]
    assert box.commands == []  # nothing of it ran
    assert model.sent[1][-1]["content"].endswith("Send one call.")


# What Qwen2.5-Coder-0.5B sent in bzzz eval, eight times: the function under test as a
# "tool", with Python's None in it (so not even JSON).
NOT_A_TOOL = (
    '```json\n{\n  "name": "interleave_evenly",\n  "arguments": {\n    "iterables": [],\n'
    '    "lengths": None\n  },\n  "summary": "The issue crashes."\n}\n```'
)


def test_a_call_of_something_that_is_not_a_tool_is_named_as_such():
    assert no_tool_call(NOT_A_TOOL) == (
        "Your reply called no tool: 'interleave_evenly' is not one. Act only through the "
        "tools (run_command, read_file, search, write_file, apply_patch, finish, "
        "ask_for_help); to run code, use run_command."
    )


def test_the_same_reply_that_calls_nothing_three_times_is_a_loop(tmp_path: Path):
    model = ScriptedModel([NOT_A_TOOL] * 5 + [calls(call("finish", summary="s"))])
    outcome = Agent(model, FakeSandbox(), TASK, Budgets(iterations=8)).run()  # type: ignore[arg-type]
    assert (outcome.kind, outcome.limit, outcome.iterations) == ("budget", "loop", 3)
    # Different replies are no loop: each may be the one that gets it right.
    varied = ScriptedModel([f"thinking {n}" for n in range(4)] + [calls(call("finish"))])
    assert Agent(varied, FakeSandbox(), TASK, Budgets(iterations=8)).run().kind == "finished"  # type: ignore[arg-type]


def test_the_loop_takes_a_repaired_call_and_tells_of_broken_arguments(tmp_path: Path):
    model = ScriptedModel([
        '{"name": "run_command", "arguments": {"command": "ls"}}',
        ModelReply("", [ToolCall("run_command", {}, malformed="'{command: ls'")]),
        calls(call("finish", summary="s")),
    ])  # fmt: skip
    box = FakeSandbox()
    steps: list = []
    Agent(model, box, TASK, Budgets(iterations=5), on_step=steps.append).run()  # type: ignore[arg-type]
    assert box.commands == ["ls"]
    assert steps[0].action == "repaired: a run_command call written as text"
    assert model.sent[1][-2]["tool_calls"] == [
        {"function": {"name": "run_command", "arguments": {"command": "ls"}}}
    ]
    assert model.sent[2][-1]["content"] == (
        "Tool run_command: its arguments are not a JSON object ('{command: ls'); send them as one."
    )


def test_messages_get_call_ids_and_json_arguments_for_openai():
    ours = [
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "read_file", "arguments": {"path": "a"}}},
            {"function": {"name": "read_file", "arguments": {"path": "b"}}},
        ]},
        {"role": "tool", "content": "A", "tool_name": "read_file"},
        {"role": "tool", "content": "B", "tool_name": "read_file"},
        {"role": "user", "content": "go on"},
    ]  # fmt: skip
    theirs = openai_messages(ours)
    assert [c["id"] for c in theirs[1]["tool_calls"]] == ["call_1", "call_2"]
    assert json.loads(theirs[1]["tool_calls"][1]["function"]["arguments"]) == {"path": "b"}
    assert theirs[1]["content"] is None
    assert [(m["tool_call_id"], m["content"]) for m in theirs[2:4]] == [
        ("call_1", "A"),
        ("call_2", "B"),
    ]
    assert theirs[4] == {"role": "user", "content": "go on"}


def test_arguments_that_are_not_a_json_object_are_marked_not_guessed():
    good = _tool_call({"function": {"name": "x", "arguments": '{"a": 1}'}})
    assert (good.arguments, good.malformed) == ({"a": 1}, None)
    for raw in ("{a: 1}", "[1, 2]", '"text"'):
        bad = _tool_call({"function": {"name": "x", "arguments": raw}})
        assert bad.arguments == {} and bad.malformed is not None


def test_the_window_is_the_one_the_server_runs_not_the_trained_one():
    # llama.cpp's /v1/models, for a server started with -c 8192 on a 32K-trained model.
    llama = {"id": "m", "meta": {"n_ctx": 8192, "n_ctx_train": 32768}}
    assert _window(llama) == 8192
    assert _window({"id": "m", "meta": {"n_ctx_train": 32768}}) == 32768  # older servers
    assert _window({"id": "m", "max_model_len": 16384}) == 16384  # vLLM
    assert _window({"id": "m", "meta": {"n_ctx": 0}}) is None
