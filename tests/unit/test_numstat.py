"""`git diff --numstat -z` read record by record: paths verbatim, binaries as None, and
anything unexpected refused rather than guessed at. No git (the integration test of the
workspace runs the real command)."""

from __future__ import annotations

import pytest

from runner.git.host_git import GitError
from runner.git.workspace import parse_numstat


def test_records_with_counts_binaries_and_hostile_paths():
    raw = (
        "3\t1\tcalc.py\x00-\t-\tlogo.png\x000\t12\tdir/with\ttab and\nnewline.txt\x00"
        "7\t0\t\x1b[31mred\x00"
    )
    assert parse_numstat(raw) == [
        ("calc.py", 3, 1),
        ("logo.png", None, None),
        ("dir/with\ttab and\nnewline.txt", 0, 12),
        ("\x1b[31mred", 7, 0),
    ]


def test_no_change_is_no_row():
    assert parse_numstat("") == []


def test_a_rename_counts_as_its_new_path():
    raw = "2\t2\t\x00old/name.py\x00new/name.py\x001\t0\tother.py\x00"
    assert parse_numstat(raw) == [("new/name.py", 2, 2), ("other.py", 1, 0)]


@pytest.mark.parametrize(
    "raw",
    [
        "3\tcalc.py\x00",  # a count missing
        "x\t1\tcalc.py\x00",  # not a number
        "-1\t1\tcalc.py\x00",
        "\u0663\t1\tcalc.py\x00",  # a digit, but not an ASCII one
        "1\t1\t\x00only-one-path\x00",  # a rename cut short
    ],
)
def test_anything_else_is_refused(raw):
    with pytest.raises(GitError):
        parse_numstat(raw)


def test_a_diff_stat_that_cannot_be_read_leaves_the_pull_requests_entry_without_it(caplog):
    from types import SimpleNamespace

    from runner.worker.outcome import Finisher

    class Unreadable:
        def diffstat(self, rev: str) -> list[tuple[str, int | None, int | None]]:
            raise GitError("git diff failed (128): bad object")

    class Readable:
        def diffstat(self, rev: str) -> list[tuple[str, int | None, int | None]]:
            return parse_numstat("1\t1\tcalc.py\x00")

    def finisher(workspace: object) -> Finisher:
        end, checkout = SimpleNamespace(key="acme/calc#1"), SimpleNamespace(workspace=workspace)
        return Finisher(end, checkout)  # type: ignore[arg-type]

    assert finisher(Unreadable())._diff_summary() == {}
    assert "the diff summary could not be read: git diff failed" in caplog.text
    assert finisher(None)._diff_summary() == {}
    assert finisher(Readable())._diff_summary() == {
        "files": 1, "additions": 1, "deletions": 1, "changed": [["calc.py", 1, 1]],
    }  # fmt: skip
