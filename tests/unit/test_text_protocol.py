"""The text protocol (models without tools) and the stuck triggers in free text."""

from __future__ import annotations

import pytest

from runner.agent.prompts import looks_stuck
from runner.agent.text_protocol import parse_reply
from runner.agent.types import AskedForHelp, FormatError, Submitted


def test_one_bash_block_is_the_command():
    assert parse_reply("Let me look.\n\n```bash\ncat calc.py\n```\n").command == "cat calc.py"
    assert parse_reply("```\nls -la\n```").command == "ls -la"
    heredoc = "```sh\ncat > f <<'EOF'\na\nEOF\n```"
    assert parse_reply(heredoc).command == "cat > f <<'EOF'\na\nEOF"


def test_a_python_block_is_not_a_command():
    with pytest.raises(FormatError, match="no ```bash block"):
        parse_reply("```python\nprint(1)\n```")


def test_zero_or_several_blocks_are_format_errors():
    with pytest.raises(FormatError, match="no ```bash block"):
        parse_reply("I think the bug is in calc.py.")
    with pytest.raises(FormatError, match="2 ```bash blocks"):
        parse_reply("```bash\nls\n```\n```bash\npwd\n```")


def test_done_marker_finishes_with_the_summary():
    with pytest.raises(Submitted) as done:
        parse_reply("All tests pass.\n\nBZZZ_DONE: Fixed the divisor.")
    assert done.value.summary == "Fixed the divisor."


def test_done_with_a_command_is_a_format_error():
    with pytest.raises(FormatError, match="both a command and BZZZ_DONE"):
        parse_reply("```bash\npytest\n```\nBZZZ_DONE: fixed")


def test_help_marker_wins_over_anything_else():
    with pytest.raises(AskedForHelp) as asked:
        parse_reply("```bash\nls\n```\n**BZZZ_HELP: Which Python version?**")
    assert asked.value.question == "Which Python version?"


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("I am stuck on this import error.", "stuck"),
        ("I need HELP with the build.", "help"),
        ("A human should decide this.", "human"),
        ("I will escalate this.", "escalate"),
        ("Clarification needed: which API?", "clarification needed"),
        ("This requires manual intervention.", "manual intervention"),
    ],
)
def test_stuck_triggers_of_the_original_bzzz(text: str, trigger: str):
    assert looks_stuck(text) == trigger


def test_ordinary_text_is_not_stuck():
    assert looks_stuck("Fixed the helper function; all tests pass.") is None  # "helper" ≠ help
    assert looks_stuck("") is None
