"""The reasoning loop's logic, with an in-process scripted model and fake sandbox: how it
finishes, refuses a red finish, feeds errors back, asks for help, stops at its budgets,
and what the tool registry generates. What the tools do in a real container is tested in
tests/integration/test_agent_replies.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.agent import tools
from runner.agent.budgets import Budgets
from runner.agent.loop import Agent
from runner.agent.model import ModelReply
from runner.agent.prompts import TEXT_SYSTEM, TOOLS_SYSTEM
from runner.agent.tools import REGISTRY, Param, Tool
from runner.agent.types import TaskBrief
from runner.errors import ModelResponseError
from tests.unit.agent_fakes import FakeSandbox, SandboxDied, ScriptedModel, call, calls

TASK = TaskBrief("o/r#1", "o/r", 1, "average() of [] crashes", "It raises ZeroDivisionError.")
TEST = "python -m pytest -q"


def agent(model: ScriptedModel, box: FakeSandbox, tmp_path: Path, **kwargs) -> Agent:
    kwargs.setdefault("budgets", Budgets(iterations=10))
    kwargs.setdefault("test_command", TEST)
    return Agent(model, box, TASK, trajectory_path=tmp_path / "t.json", **kwargs)  # type: ignore[arg-type]


def test_a_green_finish_ends_the_task_and_the_tests_ran_once(tmp_path: Path):
    model = ScriptedModel([
        calls(call("run_command", command="grep -n average calc.py")),
        calls(call("finish", summary="guarded the empty list")),
    ])  # fmt: skip
    box = FakeSandbox({TEST: (0, "3 passed")})
    outcome = agent(model, box, tmp_path).run()

    assert (outcome.kind, outcome.summary, outcome.iterations) == (
        "finished", "guarded the empty list", 2,
    )  # fmt: skip
    assert box.commands == ["grep -n average calc.py", TEST]
    assert outcome.test is not None and outcome.test.passed and outcome.test.output == "3 passed"
    assert [c.command for c in outcome.commands] == ["grep -n average calc.py", TEST]
    saved = json.loads((tmp_path / "t.json").read_text())
    assert saved["outcome"]["kind"] == "finished" and len(saved["steps"]) == 2


def test_a_red_finish_is_refused_then_bounded_and_never_reported_finished(tmp_path: Path):
    model = ScriptedModel([calls(call("finish", summary="done"))] * 3)
    box = FakeSandbox({TEST: (1, "FAILED test_calc.py::test_empty")})
    outcome = agent(model, box, tmp_path, budgets=Budgets(red_finishes=2)).run()

    assert (outcome.kind, outcome.limit) == ("budget", "red_finishes")
    assert "finished 3 times with the tests failing" in (outcome.reason or "")
    assert box.commands == [TEST, TEST, TEST]
    first_refusal = model.sent[1][-1]
    assert first_refusal["role"] == "tool" and first_refusal["content"].startswith(
        f"Not finished: the test command `{TEST}` failed."
    )
    assert "FAILED test_calc.py::test_empty" in first_refusal["content"]


def test_without_a_test_command_finish_is_taken_at_its_word(tmp_path: Path):
    model = ScriptedModel([calls(call("finish", summary="s"))])
    box = FakeSandbox()
    outcome = agent(model, box, tmp_path, test_command=None).run()
    assert (outcome.kind, outcome.test, box.commands) == ("finished", None, [])


def test_bad_calls_are_told_to_the_model_and_reach_no_sandbox(tmp_path: Path):
    model = ScriptedModel([
        calls(call("rm_rf", path="/")),
        calls(call("write_file", path="x.py")),
        calls(call("read_file", path="calc.py", start_line="ten")),
        calls(call("read_file", path="../../etc/passwd")),
        "I will look at calc.py next.",
        calls(call("finish", summary="ok")),
    ])  # fmt: skip
    box = FakeSandbox({TEST: (0, "")})
    outcome = agent(model, box, tmp_path).run()

    assert outcome.kind == "finished" and box.commands == [TEST]
    told = [sent[-1]["content"] for sent in model.sent[1:]]
    assert told[0] == f"Unknown tool 'rm_rf'. Available tools: {', '.join(REGISTRY)}."
    assert told[1] == "Tool write_file: argument 'content' is missing."
    assert told[2] == "Tool read_file: argument 'start_line' must be a whole number (got 'ten')."
    assert told[3].startswith("Refused: '../../etc/passwd' is outside /workspace")
    assert (
        told[4] == f"Your reply called no tool. Act only through the tools: {', '.join(REGISTRY)}."
    )


def test_integer_arguments_may_come_as_strings_and_ranges_are_bounded(tmp_path: Path):
    model = ScriptedModel([
        calls(call("read_file", path="big.py", start_line="120", end_line=5000)),
        calls(call("finish", summary="ok")),
    ])  # fmt: skip
    box = FakeSandbox({"case ": (0, "   120  x = 1")})
    agent(model, box, tmp_path, test_command=None).run()
    read = box.commands[0]
    assert "-v s=120 " in read and f"-v e={120 + tools.READ_LINES - 1} " in read
    assert "/workspace/big.py" in read and "-v ranged=1 " in read


def test_search_stays_under_the_workspace_and_quotes_the_pattern(tmp_path: Path):
    model = ScriptedModel([
        calls(call("search", pattern="def average\\(|'; rm -rf / #", path="pkg")),
        calls(call("search", pattern="x", path="/etc")),
        calls(call("finish", summary="ok")),
    ])  # fmt: skip
    box = FakeSandbox({"case ": (0, "pkg/calc.py:3:def average(xs):")})
    agent(model, box, tmp_path, test_command=None).run()
    assert len(box.commands) == 1  # /etc was refused before the sandbox
    assert (
        "grep -rnIE --exclude-dir=.git -e 'def average\\(|'\"'\"'; rm -rf / #' -- pkg"
        in (box.commands[0])
    )
    assert model.told()[-1].startswith("Refused: '/etc' is outside /workspace")


def test_ask_for_help_and_stuck_words_become_help_outcomes(tmp_path: Path):
    asked = agent(
        ScriptedModel([calls(call("ask_for_help", question="Which Python versions matter?"))]),
        FakeSandbox(), tmp_path,
    ).run()  # fmt: skip
    assert (asked.kind, asked.question) == ("help", "Which Python versions matter?")
    stuck = agent(
        ScriptedModel(["I am stuck: I need a human to clarify the expected output."]),
        FakeSandbox(), tmp_path,
    ).run()  # fmt: skip
    assert stuck.kind == "help" and (stuck.reason or "").startswith("stuck: ")


def test_the_same_command_with_the_same_result_three_times_is_a_loop(tmp_path: Path):
    model = ScriptedModel([calls(call("run_command", command="python -m pytest -x"))] * 4)
    box = FakeSandbox({"python -m pytest -x": (1, "1 failed")})
    outcome = agent(model, box, tmp_path).run()
    assert (outcome.kind, outcome.limit, len(box.commands)) == ("budget", "loop", 3)


def test_a_result_that_differs_only_in_how_long_it_took_is_the_same_result(tmp_path: Path):
    # What a small real model does: the passing suite again and again ("... in 1.37s").
    runs = iter(["12 passed in 1.37s", "12 passed in 0.98s", "12 passed in 1.2 s"])
    model = ScriptedModel([calls(call("run_command", command="python -m pytest -q"))] * 5)
    box = FakeSandbox({"python -m pytest": lambda _command: (0, next(runs))})
    outcome = agent(model, box, tmp_path).run()
    assert (outcome.kind, outcome.limit, len(box.commands)) == ("budget", "loop", 3)


def test_the_iteration_budget_stops_between_steps(tmp_path: Path):
    model = ScriptedModel([calls(call("run_command", command=f"echo {i}")) for i in range(5)])
    outcome = agent(model, FakeSandbox(), tmp_path, budgets=Budgets(iterations=3)).run()
    assert (outcome.kind, outcome.limit, outcome.iterations) == ("budget", "iterations", 3)


def test_a_failing_model_or_sandbox_ends_the_task_as_an_error_told_in_public_words(
    tmp_path: Path,
):
    from runner.agent.loop import ERROR_REASONS

    refused = ScriptedModel([ModelResponseError("Ollama refused the request (400): bad")])
    outcome = agent(refused, FakeSandbox(), tmp_path).run()
    assert (outcome.kind, outcome.reason, outcome.summary) == (
        "error", ERROR_REASONS["model"], ERROR_REASONS["model"]
    )  # fmt: skip
    assert outcome.detail == "ModelResponseError: Ollama refused the request (400): bad"
    model = ScriptedModel([calls(call("run_command", command="ls"))])
    gone = SandboxDied("404 Client Error for http+docker://localhost/v1.41/containers/e41c/exec")
    outcome = agent(model, FakeSandbox({"ls": gone}), tmp_path).run()
    assert (outcome.kind, outcome.reason) == ("error", ERROR_REASONS["sandbox"])
    assert "http+docker" not in outcome.summary and "http+docker" in (outcome.detail or "")


def test_the_text_protocol_runs_one_block_and_finishes_on_the_marker(tmp_path: Path):
    model = ScriptedModel([
        "Let me look.\n```bash\ncat -n calc.py\n```",
        "```bash\nls\n```\n```bash\npwd\n```",
        "BZZZ_DONE: fixed average",
    ], tools=False)  # fmt: skip
    box = FakeSandbox({TEST: (0, "ok")})
    outcome = agent(model, box, tmp_path).run()

    assert (outcome.kind, outcome.summary) == ("finished", "fixed average")
    assert box.commands == ["cat -n calc.py", TEST]
    assert model.tools_sent == [None, None, None]
    assert model.sent[0][0]["content"] == TEXT_SYSTEM
    assert "2 ```bash blocks" in model.sent[2][-1]["content"]


def test_the_window_is_the_smaller_of_num_ctx_and_what_the_model_was_trained_on(tmp_path):
    model = ScriptedModel([calls(call("finish", summary="s"))], num_ctx=32768, context_length=4096)
    loop = agent(model, FakeSandbox(), tmp_path, test_command=None)
    loop.run()
    assert (loop.window, loop.reply_reserve) == (4096, 1024)


# ---- the registry is the one place a tool is declared -------------------------------------


def test_schemas_prompts_and_errors_come_from_the_registry(tmp_path: Path):
    schemas = {s["function"]["name"]: s["function"] for s in tools.tool_schemas()}
    assert list(schemas) == list(REGISTRY)
    assert schemas["read_file"]["parameters"]["required"] == ["path"]
    assert schemas["read_file"]["parameters"]["properties"]["start_line"]["type"] == "integer"
    for tool in REGISTRY.values():
        assert f"- `{tool.name}`: {tool.help}" in TOOLS_SYSTEM
        assert f"- to {tool.purpose}: {tool.text_form}" in TEXT_SYSTEM


def test_a_new_tool_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def count_lines(box, args, timeout):
        result = box.run(f"wc -l < {args['path']}", timeout)
        return tools.Executed(f"count_lines {args['path']}", result, result.output)

    extra = Tool(
        "count_lines", "Count lines.", (Param("path", "p"),), "count", "`wc -l`", count_lines
    )
    monkeypatch.setitem(REGISTRY, "count_lines", extra)
    model = ScriptedModel([
        calls(call("count_lines", path="calc.py")),
        "thinking...",
        calls(call("finish", summary="s")),
    ])  # fmt: skip
    box = FakeSandbox({"wc -l": (0, "12")})
    agent(model, box, tmp_path, test_command=None).run()

    assert box.commands == ["wc -l < calc.py"]
    assert model.tools_sent[0] is not None and model.tools_sent[0][-1]["function"]["name"] == (
        "count_lines"
    )
    assert model.sent[1][-1] == {"role": "tool", "content": "12", "tool_name": "count_lines"}
    assert model.sent[2][-1]["content"].endswith("ask_for_help, count_lines.")


def test_a_reply_with_several_calls_runs_them_in_order(tmp_path: Path):
    model = ScriptedModel([
        ModelReply("", [call("run_command", command="a"), call("run_command", command="b")]),
        calls(call("finish", summary="s")),
    ])  # fmt: skip
    box = FakeSandbox()
    agent(model, box, tmp_path, test_command=None).run()
    assert box.commands == ["a", "b"]
    assert [m["role"] for m in model.sent[1][-2:]] == ["tool", "tool"]


class Clock:
    """time.monotonic for the budget clock, moved on by the test's model."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_model_request_may_take_at_most_the_wall_clock_left(tmp_path: Path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr("runner.agent.budgets.time.monotonic", clock)
    model = ScriptedModel([
        calls(call("run_command", command="ls")),
        calls(call("finish", summary="done")),
    ])  # fmt: skip

    def slow_ls(command: str) -> tuple[int, str]:
        clock.now += 100.0
        return 0, "calc.py"

    box = FakeSandbox({"ls": slow_ls, TEST: (0, "1 passed")})
    budgets = Budgets(iterations=10, wall_clock_seconds=300)
    outcome = agent(model, box, tmp_path, budgets=budgets).run()
    assert outcome.kind == "finished"
    assert model.timeouts == [300.0, 200.0]  # the command took 100 s of the budget


def test_a_model_request_cut_off_by_the_budget_ends_the_task_on_its_budget(
    tmp_path: Path, monkeypatch
):
    """Not a model host gone (that gives the task back for another runner): the budget."""
    from runner.errors import ModelUnavailableError

    clock = Clock()
    monkeypatch.setattr("runner.agent.budgets.time.monotonic", clock)

    class CutOff(ScriptedModel):
        def chat(self, messages, tools=None, *, timeout=None):  # type: ignore[no-untyped-def]
            super().chat(messages, tools, timeout=timeout)
            clock.now += timeout or 0  # the request ran for all it was allowed
            raise ModelUnavailableError("Ollama is unreachable at x: ReadTimeout: timed out")

    model = CutOff(["unused"])
    outcome = agent(model, FakeSandbox(), tmp_path, budgets=Budgets(wall_clock_seconds=60)).run()
    assert (outcome.kind, outcome.limit) == ("budget", "wall_clock")
    assert "waiting for the model" in outcome.reason and model.timeouts == [60.0]


def test_a_model_host_failing_with_budget_left_is_still_the_hosts_failure(tmp_path: Path):
    from runner.errors import ModelUnavailableError

    model = ScriptedModel([ModelUnavailableError("Ollama is unreachable at x: ConnectError")])
    with pytest.raises(ModelUnavailableError):
        agent(model, FakeSandbox(), tmp_path).run()
