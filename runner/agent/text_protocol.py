"""The text protocol, for models without tool support: one fenced command per reply.

A reply is exactly one of:
- one fenced code block (```bash, ```sh, ```shell or a bare ```): the command to run;
- a line `BZZZ_DONE: <summary>` and no code block: finished;
- a line `BZZZ_HELP: <question>`: asks a human (a help request wins over anything else in
  the reply: a question should never be lost to a formatting slip).

Zero blocks, several blocks, or a block together with BZZZ_DONE are format errors: the
model is told what was wrong and asked again (the loop's budgets bound the retries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runner.agent.tools import DONE_MARKER, HELP_MARKER
from runner.agent.types import AskedForHelp, FormatError, Submitted

_BLOCK = re.compile(r"^```[ \t]*([\w+-]*)[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_SHELLS = {"", "bash", "sh", "shell", "console", "zsh"}


@dataclass(frozen=True)
class Command:
    command: str


def _marker(text: str, marker: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip().strip("*`")
        if stripped.startswith(marker):
            return stripped[len(marker) :].strip()
    return None


def parse_reply(text: str) -> Command:
    """The reply's one command; raises Submitted, AskedForHelp or FormatError otherwise."""
    question = _marker(text, HELP_MARKER)
    if question is not None:
        raise AskedForHelp(question or "(the model asked for help without a question)")
    blocks = [(lang.lower(), body) for lang, body in _BLOCK.findall(text)]
    shell_blocks = [body for lang, body in blocks if lang in _SHELLS]
    summary = _marker(text, DONE_MARKER)
    if summary is not None:
        if shell_blocks:
            raise FormatError(
                f"Your reply had both a command and {DONE_MARKER}. Either run one command, or "
                f"finish with {DONE_MARKER} alone once the command results show the task is done."
            )
        raise Submitted(summary or "(no summary given)")
    if len(shell_blocks) == 1 and shell_blocks[0].strip():
        return Command(shell_blocks[0].strip())
    found = "no ```bash block" if not shell_blocks else f"{len(shell_blocks)} ```bash blocks"
    raise FormatError(
        f"Format error: your reply had {found}. Reply with exactly one ```bash fenced block "
        f"holding one command, or with a line `{DONE_MARKER} <summary>` when done, or "
        f"`{HELP_MARKER} <question>` if you need a human."
    )


def observation(command_output: str) -> str:
    """How a command's result is shown back to a text-protocol model."""
    return f"Observation:\n{command_output}"
