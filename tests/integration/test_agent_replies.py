"""The agent's replies on the real parts: format errors fed back, file tools, the window.

Same setting as test_agent.py (tests/fixtures/agent_sandbox.py): a Podman sandbox
shared by the module, and the Ollama stand-in over HTTP playing scripted models.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.sandbox.container import Sandbox
from tests.fixtures.agent_sandbox import (
    BUGGY,
    call,
    make_agent,
    model_spec,
    scenario,
    sent_messages,
)


def test_format_error_is_fed_back_tools(ollama_emulator, repo: Sandbox, tmp_path: Path):
    ollama_emulator.set_scenario(scenario(model_spec("chatty:7b", script=[
        "I think the bug is in calc.py.",  # no tool call
        {"tool_calls": [call("read_file", path="../../etc/passwd")]},  # outside /workspace
        {"tool_calls": [call("write_file", path="x.py")]},  # missing argument
        {"tool_calls": [call("finish", summary="done")]},
    ])))  # fmt: skip
    steps: list = []
    outcome = make_agent(ollama_emulator, repo, "chatty:7b", tmp_path, steps=steps).run()

    assert (outcome.kind, outcome.summary, outcome.iterations) == ("finished", "done", 4)
    assert outcome.commands == []  # nothing reached the sandbox
    last = sent_messages(ollama_emulator)[-1]
    assert "called no tool" in last[3]["content"] and last[3]["role"] == "user"
    tool_messages = [m for m in last if m["role"] == "tool"]
    assert "outside /workspace" in tool_messages[0]["content"]
    assert tool_messages[1]["content"] == "Tool write_file: argument 'content' is missing."
    assert [s.exit_code for s in steps] == [None, None, None]


def test_format_error_is_fed_back_text(ollama_emulator, repo: Sandbox, tmp_path: Path):
    ollama_emulator.set_scenario(scenario(model_spec("texty:7b", tools=False, script=[
        "```bash\nls\n```\nand\n```bash\npwd\n```",
        "Just thinking aloud.",
        "BZZZ_DONE: nothing to do",
    ])))  # fmt: skip
    outcome = make_agent(ollama_emulator, repo, "texty:7b", tmp_path).run()

    assert (outcome.kind, outcome.summary, outcome.iterations) == ("finished", "nothing to do", 3)
    users = [m["content"] for m in sent_messages(ollama_emulator)[-1] if m["role"] == "user"]
    assert "2 ```bash blocks" in users[1]
    assert "no ```bash block" in users[2]


def test_file_tools_stay_inside_the_workspace(ollama_emulator, repo: Sandbox, tmp_path: Path):
    assert repo.run("ln -s /etc/passwd escape").ok
    NOTE = 'it\'s "quoted" $HOME `x`\n'  # shell metacharacters must survive
    bad_patch = "--- a/calc.py\n+++ b/calc.py\n@@ -1,1 +1,1 @@\n-no such line\n+x\n"
    ollama_emulator.set_scenario(scenario(model_spec("filer:7b", script=[
        {"tool_calls": [call("write_file", path="pkg/notes.md", content=NOTE)]},
        {"tool_calls": [call("read_file", path="pkg/notes.md")]},
        {"tool_calls": [call("read_file", path="escape")]},
        {"tool_calls": [call("read_file", path="/etc/passwd")]},
        {"tool_calls": [call("apply_patch", patch=bad_patch)]},
        {"tool_calls": [call("read_file", path="missing.py")]},
        {"tool_calls": [call("finish", summary="done")]},
    ])))  # fmt: skip
    outcome = make_agent(ollama_emulator, repo, "filer:7b", tmp_path).run()

    assert outcome.kind == "finished"
    told = [m["content"] for m in sent_messages(ollama_emulator)[-1] if m["role"] == "tool"]
    assert told[0].startswith("wrote 24 bytes to pkg/notes.md")
    assert told[1] == 'it\'s "quoted" $HOME `x`\n'
    assert "refused: the path resolves outside /workspace" in told[2]
    assert "root:" not in told[2]
    assert "is outside /workspace" in told[3]
    assert "error" in told[4] and "[exit code 1]" in told[4]
    assert "No such file" in told[5] and "[exit code 1]" in told[5]
    assert repo.run("cat calc.py").output == BUGGY  # the failed patch changed nothing
    assert [c.exit_code for c in outcome.commands] == [0, 0, 2, 1, 1]


def test_ranged_reads_and_search_in_a_real_sandbox(ollama_emulator, repo: Sandbox, tmp_path):
    # A 1,000-line module with one 5 KB line: one read must not flood the context.
    make = (
        "python3 -c \"import pathlib; pathlib.Path('pkg').mkdir(); pathlib.Path('pkg/big.py')"
        ".write_text(''.join(f'v{i} = {i}\\n' for i in range(1, 1001)) + 'w = ' + 'x' * 5000)\""
        " && mkdir -p .git && echo 'def average(xs): pass' > .git/hidden.py"
    )
    assert repo.run(make).ok
    ollama_emulator.set_scenario(scenario(model_spec("reader:7b", script=[
        {"tool_calls": [call("read_file", path="pkg/big.py")]},
        {"tool_calls": [call("read_file", path="pkg/big.py", start_line=998, end_line="1200")]},
        {"tool_calls": [call("read_file", path="calc.py", start_line=2000)]},
        {"tool_calls": [call("search", pattern="def (average|mean)\\(")]},
        {"tool_calls": [call("search", pattern="^v[0-9]+ = ", path="pkg")]},
        {"tool_calls": [call("search", pattern="nothing-like-this")]},
        {"tool_calls": [call("read_file", path="pkg")]},
        {"tool_calls": [call("finish", summary="done")]},
    ])))  # fmt: skip
    outcome = make_agent(ollama_emulator, repo, "reader:7b", tmp_path).run()

    assert outcome.kind == "finished"
    told = [m["content"] for m in sent_messages(ollama_emulator)[-1] if m["role"] == "tool"]
    whole, ranged, past, found, many, none, directory = told[:7]
    assert whole.startswith("     1  v1 = 1\n") and "   400  v400 = 400\n" in whole
    assert "v401" not in whole and whole.endswith(
        "[lines 1-400 of 1001; read_file with start_line/end_line reads others]\n"
    )
    assert ranged.startswith("   998  v998 = 998\n  999  v999 = 999\n".replace("\n  ", "\n   "))
    assert "  1001  w = " + "x" * 1996 in ranged and "…[line cut]" in ranged
    assert "[lines 998-1001 of 1001;" in ranged
    assert "start_line 2000 is past its end" in past and "[exit code 3]" in past
    assert found.splitlines()[0].startswith("calc.py:") and ".git" not in found
    assert many.startswith("pkg/big.py:1:v1 = 1\n") and len(many.splitlines()) == 101
    assert "[1000 matching lines, the first 100 shown;" in many
    assert none == "no matches\n"
    assert "is a directory" in directory


def test_the_history_fits_the_trained_window_when_num_ctx_asks_for_more(
    ollama_emulator, repo: Sandbox, tmp_path: Path
):
    script = [f"```bash\npython3 -c \"print('{c}' * 400)\"\n```" for c in "ABCDE"]
    spec = {
        **model_spec("short:1b", tools=False, script=[*script, "BZZZ_DONE: ok"]),
        "context_length": 1024,
    }
    ollama_emulator.set_scenario({**scenario(spec), "context_overflow": "error"})
    agent = make_agent(ollama_emulator, repo, "short:1b", tmp_path, num_ctx=8192, reply_reserve=256)
    outcome = agent.run()

    assert (outcome.kind, outcome.iterations) == ("finished", 6)  # no request overflowed
    assert agent.model.info is not None and agent.model.info.context_length == 1024
    assert "[observation of step 1 dropped: " in str(sent_messages(ollama_emulator)[-1])


@pytest.mark.parametrize("tools", [True, False], ids=["tools", "text"])
def test_a_reply_that_only_says_it_is_stuck_is_a_help_request(
    ollama_emulator, repo: Sandbox, tmp_path: Path, tools: bool
):
    words = "I am stuck: the issue does not say what sum_to(-1) should return."
    ollama_emulator.set_scenario(scenario(model_spec("stuck:7b", tools=tools, script=[words])))
    outcome = make_agent(ollama_emulator, repo, "stuck:7b", tmp_path).run()

    assert (outcome.kind, outcome.question, outcome.reason) == ("help", words, "stuck: stuck")
    assert outcome.iterations == 1
