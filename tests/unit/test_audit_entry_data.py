"""What the runner puts in command.run and pr.opened entries: output tails and diff
summaries, bounded, printable and canonically encodable. No servers."""

from __future__ import annotations

from bzzz.audit import canonical, diff_summary, output_tail
from bzzz.audit.entry_types import CHANGED_KEPT, PATH_CHARS, TAIL_CHARS, TAIL_LINES
from bzzz.plain_text import printable


def test_a_short_output_is_kept_whole_without_its_trailing_newlines():
    assert output_tail("collected 2 items\n\n2 passed in 0.01s\n\n") == (
        "collected 2 items\n\n2 passed in 0.01s"
    )
    assert output_tail("") == "" and output_tail("\n \n") == ""


def test_only_the_last_lines_are_kept():
    output = "".join(f"line {n}\n" for n in range(1, 101))
    tail = output_tail(output)
    assert tail.splitlines() == [f"line {n}" for n in range(101 - TAIL_LINES, 101)]
    assert output_tail(output, lines=3) == "line 98\nline 99\nline 100"


def test_a_long_line_is_cut_to_the_character_bound_keeping_its_end():
    tail = output_tail("x" * 10_000 + "THE END")
    assert len(tail) == TAIL_CHARS and tail.endswith("THE END")
    # Code points, not bytes: a multi-byte character is kept whole or not at all.
    emoji = output_tail("é😀" * 3000)
    assert len(emoji) == TAIL_CHARS and emoji.endswith("é😀")
    assert emoji.encode("utf-8").decode("utf-8") == emoji
    huge = output_tail("y\n" * 5_000_000 + "last")  # only the end is looked at
    assert huge.endswith("y\nlast") and len(huge.splitlines()) == TAIL_LINES


def test_escape_sequences_and_control_characters_are_removed_newlines_and_tabs_kept():
    output = (
        "\x1b[31mFAILED\x1b[0m test_calc.py::test_sum\x07\n"
        "\x1b]0;owned title\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\\n"
        "a\tb\x00c\x08d\x7f\x9b31me\x1bcf\n"
        "\u202egnp.exe\u200b\ufeff\n"
    )
    assert output_tail(output) == "FAILED test_calc.py::test_sum\nlink\na\tbcdef\ngnp.exe"


def test_a_line_rewritten_by_carriage_returns_keeps_its_last_state():
    assert output_tail("10%\r50%\r100%\ndone\r\n") == "100%\ndone"
    assert output_tail("progress 100%\r") == "progress 100%"


def test_a_tail_is_canonically_encodable():
    tail = output_tail("".join(chr(c) for c in range(0, 0x3000)) + "\ud800 lone surrogate")
    assert "\ud800" not in tail
    canonical({"output_tail": tail})  # raises on anything it cannot encode


def test_printable_keeps_only_what_it_is_told_to():
    assert printable("a\nb\tc\x1b[1md") == "abcd"
    assert printable("a\nb", keep="\n") == "a\nb"


def test_a_diff_summary_counts_every_file_and_lists_the_first_ones():
    rows = [(f"src/f{n}.py", n, 1) for n in range(150)] + [("logo.png", None, None)]
    summary = diff_summary(rows)
    assert summary["files"] == 151
    assert summary["additions"] == sum(range(150)) and summary["deletions"] == 150
    assert len(summary["changed"]) == CHANGED_KEPT
    assert summary["changed"][:2] == [["src/f0.py", 0, 1], ["src/f1.py", 1, 1]]
    assert diff_summary([("logo.png", None, None)])["changed"] == [["logo.png", None, None]]
    assert diff_summary([]) == {"files": 0, "additions": 0, "deletions": 0, "changed": []}
    canonical(summary)


def test_a_diff_summarys_paths_are_printable_and_bounded():
    hostile = "a\x1b[2J\nb\tc\u202e" + "d" * 1000
    ((path, added, removed),) = diff_summary([(hostile, 1, 0)])["changed"]
    assert path.startswith("abcd") and len(path) == PATH_CHARS and (added, removed) == (1, 0)
