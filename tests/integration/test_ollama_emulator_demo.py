"""The demo scenario played to the end, as a runner would: tool calls, and the text protocol.

A tiny in-test sandbox answers the model's commands with what Python and
pytest would print, so the scenario's rules are exercised on realistic output.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import ollama

from infra.ollama_emulator.scenarios import DEMO

ROOT = Path(__file__).parents[2]
BUGGY = "def average(values):\n    return sum(values) / (len(values) - 1)\n"
FIXED = "def average(values):\n    return sum(values) / len(values)\n"
TOOLS = [
    {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
    for name in ("run_command", "read_file", "write_file", "apply_patch", "finish", "ask_for_help")
]


class Sandbox:
    def __init__(self, patch_applies: bool = True, fix_works: bool = True) -> None:
        self.files = {"calc.py": BUGGY}
        self.patch_applies = patch_applies
        self.fix_works = fix_works

    def pytest(self) -> str:
        if self.files["calc.py"] == FIXED and self.fix_works:
            return ".\n1 passed in 0.01s"
        return "F\nFAILED test_calc.py::test_average - assert 6.0 == 4\n1 failed in 0.02s"

    def run(self, name: str, arguments: dict) -> str:
        if name == "run_command":
            assert arguments["command"] == "python -m pytest -q"
            return self.pytest()
        if name == "read_file":
            return self.files[arguments["path"]]
        if name == "apply_patch":
            if not self.patch_applies:
                return "error: patch failed: calc.py:1"
            assert "+    return sum(values) / len(values)" in arguments["patch"]
            self.files["calc.py"] = FIXED
            return "patch applied"
        if name == "write_file":
            self.files[arguments["path"]] = arguments["content"]
            return "written"
        raise AssertionError(f"unexpected tool {name}")


def run_tool_agent(client: ollama.Client, sandbox: Sandbox, model: str) -> list[tuple]:
    messages: list = [
        {"role": "system", "content": "You fix bugs with the tools given."},
        {"role": "user", "content": "Issue #1: average() is wrong. Make the tests pass."},
    ]
    calls: list[tuple] = []
    for _ in range(10):
        reply = client.chat(model=model, messages=messages, tools=TOOLS)
        messages.append(reply.message)
        for call in reply.message.tool_calls or []:
            name, arguments = call.function.name, dict(call.function.arguments)
            calls.append((name, arguments))
            if name in ("finish", "ask_for_help"):
                return calls
            output = sandbox.run(name, arguments)
            messages.append({"role": "tool", "content": output, "tool_name": name})
    return calls


def test_the_tool_model_fixes_the_bug_by_patch(ollama_emulator):
    sandbox = Sandbox()
    calls = run_tool_agent(ollama_emulator.client(), sandbox, "qwen2.5-coder:7b")
    names = [name for name, _ in calls]
    assert names == ["run_command", "read_file", "apply_patch", "run_command", "finish"]
    assert "average()" in calls[-1][1]["summary"]
    assert sandbox.files["calc.py"] == FIXED


def test_the_tool_model_writes_the_file_when_the_patch_does_not_apply(ollama_emulator):
    sandbox = Sandbox(patch_applies=False)
    calls = run_tool_agent(ollama_emulator.client(), sandbox, "qwen2.5-coder:7b")
    names = [name for name, _ in calls]
    assert names == [
        "run_command",
        "read_file",
        "apply_patch",
        "write_file",
        "run_command",
        "finish",
    ]


def test_the_tool_model_asks_for_help_when_the_fix_does_not_work(ollama_emulator):
    calls = run_tool_agent(ollama_emulator.client(), Sandbox(fix_works=False), "qwen2.5-coder:7b")
    assert calls[-1][0] == "ask_for_help"
    # The FAILED rule fires twice at most, then the fallback asks.
    assert [name for name, _ in calls].count("read_file") == 2


BASH = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def run_text_agent(client: ollama.Client, fix_works: bool) -> list[str]:
    sandbox = Sandbox(fix_works=fix_works)
    messages: list = [{"role": "user", "content": "Issue #1: average() is wrong."}]
    replies: list[str] = []
    for _ in range(8):
        text = client.chat(model="codellama:7b", messages=messages).message.content
        replies.append(text)
        messages.append({"role": "assistant", "content": text})
        if re.search(r"^BZZZ_(DONE|HELP): ", text, re.MULTILINE):
            return replies
        (command,) = BASH.findall(text)  # exactly one block per reply
        if command.startswith("cat > calc.py"):
            sandbox.files["calc.py"] = command.split("<<'EOF'\n", 1)[1].rsplit("EOF", 1)[0]
            output = ""
        elif command.startswith("cat "):
            output = sandbox.files["calc.py"]
        else:
            output = sandbox.pytest()
        messages.append({"role": "user", "content": f"exit code 0\n{output}"})
    return replies


def test_the_text_protocol_model_ends_with_bzzz_done(ollama_emulator):
    replies = run_text_agent(ollama_emulator.client(), fix_works=True)
    assert len(replies) == 5
    assert replies[-1].splitlines()[-1].startswith("BZZZ_DONE: Fixed average()")
    assert "```" not in replies[-1]


def test_the_text_protocol_model_asks_for_help_when_tests_still_fail(ollama_emulator):
    replies = run_text_agent(ollama_emulator.client(), fix_works=False)
    assert replies[-1].splitlines()[-1].startswith("BZZZ_HELP: ")
    assert len(replies) == 5


def test_the_looping_model_repeats_the_same_call_forever(ollama_emulator):
    client = ollama_emulator.client()
    messages: list = [{"role": "user", "content": "do something"}]
    calls = []
    for _ in range(4):
        reply = client.chat(model="tinyllama:1.1b", messages=messages, tools=TOOLS)
        calls.append(reply.message.tool_calls[0].function.arguments["command"])
        messages += [reply.message, {"role": "tool", "content": "calc.py", "tool_name": "x"}]
    assert calls == ["ls"] * 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_cli_serves_a_scenario_until_interrupted():
    port = _free_port()
    command = [sys.executable, "-m", "cli.main", "ollama-emulator", "--scenario", str(DEMO)]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.head(f"http://127.0.0.1:{port}/").status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None, "the command exited early"
                assert time.monotonic() < deadline, "the stand-in never answered"
                time.sleep(0.05)
        names = [m.model for m in ollama.Client(host=f"127.0.0.1:{port}").list().models]
        assert names == ["qwen2.5-coder:7b", "codellama:7b", "tinyllama:1.1b"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
