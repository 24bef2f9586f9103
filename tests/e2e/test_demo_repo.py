"""The README's second command: `bzzz demo --repo PATH` on a copy of the user's own repository.

The repository is made here with git: `mylib`, a few hundred files, five
commits, a failing test, no `.bzzz.yml` but a `.github/bzzz.yml` (its
`.gitignore` ignores dotfiles) that sets only the branch prefix, so the test
command must be found (pyproject.toml's pytest table). With `--model` the
demo talks to "a real Ollama" at OLLAMA_HOST — here the Ollama stand-in
serving a model the demo does not know, scripted to fix word_count through
tools from what the sandbox really answers — and the pull request carries the
fix, verified by the runner (the failing test fails on the base, passes on the
branch), and the demo leaves nothing running. Without a model, the demo's
scripted stand-in says it cannot fix a foreign repository: the task ends
escalated and nothing is pushed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tests.fixtures.git_repos import BUGGY, FIXED, TEXTUTIL, git, make_package_repo
from tests.fixtures.processes import marked_processes
from tests.fixtures.wheels import DEMO_PACKAGE, wheelhouse

ROOT = Path(__file__).resolve().parents[2]
MODEL = "fixer:1b"  # not the demo's own model: proves --model reaches the runner
ISSUE = """# word_count miscounts text with extra spaces

`word_count("hello   world\\n")` returns 4 instead of 2, so
tests/test_textutil.py::test_word_count_ignores_extra_spaces fails.
"""


def fixer(model: str) -> dict[str, Any]:
    run_tests = {"name": "run_command", "arguments": {"command": "python -m pytest -q"}}
    fixed = TEXTUTIL.replace(BUGGY, FIXED)
    return {
        "version": "0.12.6",
        "models": [
            {
                "name": model,
                "family": "qwen2",
                "parameter_size": "1B",
                "context_length": 32768,
                "capabilities": ["completion", "tools"],
                "rules": [
                    {
                        "when": {"system_contains": "numbered plan"},
                        "reply": {"text": "1. Run the tests.\n2. Fix word_count.\n3. Rerun."},
                    },
                    {"when": {"assistant_turns": 0}, "reply": {"tool_calls": [run_tests]}},
                    {
                        "when": {
                            "last_tool_name": "run_command",
                            "last_tool_matches": r"^\d+ passed",
                        },
                        "reply": {
                            "tool_calls": [
                                {
                                    "name": "finish",
                                    "arguments": {"summary": "word_count splits on any whitespace"},
                                }
                            ]
                        },
                    },
                    {
                        "when": {
                            "last_tool_name": "run_command",
                            "last_tool_matches": r"\d+ failed",
                        },
                        "times": 1,
                        "reply": {
                            "tool_calls": [
                                {"name": "read_file", "arguments": {"path": "mylib/textutil.py"}}
                            ]
                        },
                    },
                    {
                        "when": {"last_tool_name": "read_file", "last_tool_contains": BUGGY},
                        "reply": {
                            "tool_calls": [
                                {
                                    "name": "write_file",
                                    "arguments": {"path": "mylib/textutil.py", "content": fixed},
                                }
                            ]
                        },
                    },
                    {
                        "when": {"last_tool_name": "write_file"},
                        "reply": {"tool_calls": [run_tests]},
                    },
                ],
                "fallback": {
                    "tool_calls": [
                        {"name": "ask_for_help", "arguments": {"question": "unexpected output"}}
                    ]
                },
            }
        ],
    }


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()[:200].replace(b"\0", b" ").decode()
    except OSError:
        return "(ended while looked at)"


def demo(
    args: list[str], ollama_host: str | None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `bzzz demo ARGS`; fail unless everything it started has stopped when it ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BZZZ_", "AWS_ENDPOINT"))}
    env.update(extra_env or {})
    env.pop("OLLAMA_HOST", None)
    if ollama_host is not None:
        env["OLLAMA_HOST"] = ollama_host
    env["BZZZ_DEMO_TEST_MARK"] = uuid.uuid4().hex
    mark = f"BZZZ_DEMO_TEST_MARK={env['BZZZ_DEMO_TEST_MARK']}".encode()
    command = [sys.executable, "-m", "cli.main", "demo", *args]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as running:
        deadline = time.monotonic() + 300
        # While it runs, its servers carry the mark: proves the check below can see them.
        while not (servers := marked_processes(mark) - {running.pid}):
            if running.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        out, err = running.communicate(timeout=600)
    assert servers, "no process of the demo carried the mark: the leak check would be blind"
    left = {pid: command_line(pid) for pid in marked_processes(mark)}
    assert left == {}, f"the demo left processes running: {left}"
    return subprocess.CompletedProcess(command, running.returncode, out, err)


def test_demo_repo_fixes_the_imported_repository_with_the_named_model(tmp_path, ollama_emulator):
    source = make_package_repo(tmp_path / "My Lib!", bzzz_yml="branch_prefix: mylib-bot/\n")
    head = git(source, "rev-parse", "HEAD")
    (tmp_path / "issue.md").write_text(ISSUE)
    ollama_emulator.set_scenario(fixer(MODEL))
    done = demo(
        ["--repo", str(source), "--issue", str(tmp_path / "issue.md"), "--model", MODEL],
        ollama_emulator.base_url,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "as local/My-Lib" in out  # the directory's name, sanitised
    assert f"model: {MODEL} on the real Ollama at {ollama_emulator.base_url}" in out
    assert "alice labels local/My-Lib#1 `bzzz-task`" in out
    assert "claimed by demo-runner" in out and "completed" in out
    # No .bzzz.yml: the test command was found in pyproject.toml.
    assert "== test command: `python -m pytest -q` (pyproject.toml has" in out
    # The PR the run really made: branch prefix from .github/bzzz.yml, the fix as its diff.
    assert "== draft pull request: http://127.0.0.1:" in out and "(draft: True)" in out
    assert "[mylib-bot/1-word-count-miscounts-text-with-extra-spa -> trunk]" in out
    assert "Pull request | http://127.0.0.1:" in out and "/local/My-Lib/pull/2 |" in out
    assert f"-    {BUGGY}" in out and f"+    {FIXED}" in out
    # The runner's own check: the issue's failing test fails on the base, passes on the branch.
    assert "verified fix: 1 test failing on the base commit" in out
    assert "(tests/test_textutil.py::test_word_count_ignores_extra_spaces)" in out
    assert "demo-runner    fix.verified" in out
    assert "== outcome: completed, a draft pull request was opened" in out
    # The model was the one named, and it was told the detected test command.
    chats = ollama_emulator.requests("/api/chat")
    assert chats and {chat["model"] for chat in chats} == {MODEL}
    told = [m["content"] for chat in chats for m in chat["seen_messages"] if m["role"] == "user"]
    assert any("`python -m pytest -q`" in text for text in told)
    # The user's repository is untouched: the demo worked on a copy.
    assert git(source, "rev-parse", "HEAD") == head
    assert git(source, "status", "--porcelain") == ""
    assert "Traceback" not in out + done.stderr
    assert "all stopped" in out


def test_demo_repo_with_the_scripted_stand_in_ends_honestly_without_a_change(tmp_path):
    source = make_package_repo(tmp_path / "mylib")
    done = demo(["--repo", str(source), "--issue", "Fix word_count\n\nIt miscounts."], None)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr  # no pull request
    assert "on the Ollama stand-in" in out and "(scripted)" in out
    assert "escalated" in out and "I am the scripted Ollama stand-in of `bzzz demo`" in out
    assert "no pull request was opened" in out
    assert "== outcome: escalated: asked for help:" in out
    assert "Traceback" not in out + done.stderr
    assert "all stopped" in out


SETUP_YML = """branch_prefix: mylib-bot/
setup:
  steps: [python -m pip install -r requirements.txt]
  network: false
"""


def test_demo_repo_with_a_dependency_installs_it_by_setup_then_fixes_offline(
    tmp_path, ollama_emulator
):
    """The repository needs a package: its setup step installs it, offline from the
    operator's wheelhouse, in the preparation container; the agent's sandbox (no network)
    then runs a suite that imports it, and the fix is verified as before."""
    source = make_package_repo(tmp_path / "deps", bzzz_yml=SETUP_YML, dependency=DEMO_PACKAGE)
    (tmp_path / "issue.md").write_text(ISSUE)
    ollama_emulator.set_scenario(fixer(MODEL))
    wheels = wheelhouse(tmp_path / "wheelhouse")
    done = demo(
        ["--repo", str(source), "--issue", str(tmp_path / "issue.md"), "--model", MODEL],
        ollama_emulator.base_url,
        {"BZZZ_WHEELHOUSE": str(wheels), "BZZZ_SETUP_NETWORK": "off"},
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "verified fix: 1 test failing on the base commit" in out
    assert "== outcome: completed, a draft pull request was opened" in out
    # The suite the agent ran imported the package setup installed: it passed whole.
    results = [m["content"] for c in ollama_emulator.requests("/api/chat")
               for m in c["seen_messages"] if m["role"] == "tool"]  # fmt: skip
    assert any("1 failed" in r for r in results)  # before the fix, only the bug fails
    assert not any("ModuleNotFoundError" in r for r in results)
    assert "Traceback" not in out + done.stderr
