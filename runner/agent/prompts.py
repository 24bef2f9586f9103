"""What the model is told: the system prompt (tools or text protocol) and the task message.

The system prompt is generated from the tool registry (runner.agent.tools): its
list of tools for tool-capable models, and each tool's text-protocol form for
the others. The task message carries the issue's title and body, the comments of writers
(the caller filters authors; this module strips hidden HTML once more, since
an HTML comment is invisible on GitHub but not to the model), and any extra
context (peer feedback, a human's reply).
"""

from __future__ import annotations

from collections.abc import Sequence

from bzzz.github.text import strip_hidden_html
from bzzz.hmmm.triggers import looks_stuck as looks_stuck  # one definition, shared with HMMM
from runner.agent.tools import REGISTRY
from runner.agent.types import TaskBrief

_COMMON = """You are Bzzz, a software engineer fixing a GitHub issue in the repository checked out \
at /workspace (your working directory). You work inside a locked-down Linux sandbox without \
network access: each command runs in a fresh `bash -lc` in /workspace, has a time limit, and \
its output is cut to its head and tail when long. Make the smallest change that resolves the \
issue, with a test that reproduces it (the test must fail without your change and pass with \
it: Bzzz checks both before it calls the pull request a verified fix), and run the tests \
before you finish. Do not commit or push: that is done for you."""


def _tools_system() -> str:
    listed = "\n".join(f"- `{tool.name}`: {tool.help}" for tool in REGISTRY.values())
    return (
        _COMMON
        + "\n\nAct only through the tools, one or more calls per reply:\n\n"
        + listed
        + "\n\nWhen the issue is resolved and the tests pass, call `finish` with a short "
        "summary of the change. If you cannot continue without a human (the issue is unclear, "
        "or you are stuck), call `ask_for_help` with one precise question."
    )


def _text_system() -> str:
    forms = "\n".join(f"- to {tool.purpose}: {tool.text_form}" for tool in REGISTRY.values())
    return (
        _COMMON
        + """

Every reply must contain exactly one command, in exactly one fenced block:

```bash
python3 -m pytest -q
```

You will then see its output and exit code. Each reply does one of these:

"""
        + forms
    )


TOOLS_SYSTEM = _tools_system()
TEXT_SYSTEM = _text_system()


def system_prompt(tools: bool) -> str:
    return TOOLS_SYSTEM if tools else TEXT_SYSTEM


def task_message(
    task: TaskBrief, test_command: str | None = None, known_failures: Sequence[str] = ()
) -> str:
    parts = [
        f"Issue {task.key}: {strip_hidden_html(task.title).strip()}",
        strip_hidden_html(task.body).strip() or "(no description)",
    ]
    comments = [(a, strip_hidden_html(b).strip()) for a, b in task.comments]
    if comments:
        parts.append(
            "Comments on the issue:\n\n"
            + "\n\n".join(f"@{a} wrote:\n{b}" for a, b in comments if b)
        )
    if task.review.strip():
        parts.append(task.review.strip())
    for extra in task.extra_context:
        text = strip_hidden_html(extra).strip()
        if text:
            parts.append(f"Additional context:\n{text}")
    if test_command:
        parts.append(f"The repository's test command is: `{test_command}`")
    if known_failures:  # runner.worker.baseline: the finish check leaves them out
        listed = "\n".join(f"- {test}" for test in known_failures)
        parts.append(
            "These tests already fail here before any change; finishing accepts them still "
            "failing as long as nothing else fails (fix them if the issue is about them):\n"
            f"{listed}"
        )
    return "\n\n".join(parts)
