"""The verified-fix rules that need no sandbox: which files are tests, how pytest is started,
what a run's summary says, and how the pull request and the status comment show the verdict."""

from __future__ import annotations

import pytest

from bzzz.status.render import UNVERIFIED_HEADLINE, StatusView, render
from runner.agent.types import TestRun
from runner.git.publish import pull_body, pull_title
from runner.pytest_summary import pytest_launcher, summary_outcomes
from runner.worker.verify import (
    Verification,
    is_test_file,
    is_test_support,
    unverified,
)

GREEN = TestRun("python -m pytest -q", 0, "3 passed")
VERIFIED = Verification(
    True, "1 test failing on the base commit abc pass on the branch (t.py::test_x)",
    ("t.py",), ("t.py::test_x",), TestRun("python -m pytest -rA", 1, "FAILED t.py::test_x"),
    TestRun("python -m pytest -rA", 0, "PASSED t.py::test_x"), "abc",
)  # fmt: skip


@pytest.mark.parametrize(
    ("path", "test", "support"),
    [
        ("tests/test_calc.py", True, True),
        ("calc_test.py", True, True),
        ("tests/conftest.py", False, True),
        ("tests/data/input.json", False, True),
        ("test/helpers.py", False, True),
        ("calc.py", False, False),
        ("docs/testing.md", False, False),
        ("test_notes.txt", False, False),
    ],
)
def test_test_files_and_what_is_laid_over_the_base(path, test, support):
    assert (is_test_file(path), is_test_support(path)) == (test, support)


@pytest.mark.parametrize(
    ("command", "launcher"),
    [
        ("python -m pytest -q", "python -m pytest"),
        ("python3 -m pytest tests/", "python3 -m pytest"),
        ("python3.12 -m pytest", "python3.12 -m pytest"),
        ("pytest -x", "pytest"),
        ("py.test", "py.test"),
        ("tox -e py312", None),
        ("npm test", None),
        ("pytestish", None),
        ("make test && pytest", None),
        ("PYTHONPATH=src python -m pytest -q", "PYTHONPATH=src python -m pytest"),
        ("A=1 B=x/y pytest", "A=1 B=x/y pytest"),
        ("PYTHONPATH=$(pwd) pytest", None),  # a substitution: not a plain assignment
        ("cd src; pytest", None),
    ],
)
def test_how_the_repository_starts_pytest(command, launcher):
    assert pytest_launcher(command) == launcher


def test_results_come_from_the_last_summary_only():
    output = (
        "PASSED tests/test_fake.py::test_printed_by_the_code_under_test\n"
        "========= short test summary info =========\n"
        "PASSED tests/test_a.py::test_one\n"
        "========= short test summary info =========\n"
        "PASSED tests/test_a.py::test_one\n"
        "FAILED tests/test_a.py::test_two - assert 1 == 2\n"
        "ERROR tests/test_b.py - ImportError: cannot import name 'mean'\n"
        "SKIPPED [1] tests/test_c.py:3: no network\n"
        "========= 1 failed, 1 passed, 1 error in 0.1s =========\n"
    )
    assert summary_outcomes(output) == {
        "tests/test_a.py::test_one": "PASSED",
        "tests/test_a.py::test_two": "FAILED",
        "tests/test_b.py": "ERROR",
    }
    assert summary_outcomes("no summary at all") == {}


def test_only_a_verified_fix_closes_the_issue():
    verified = pull_body(7, "guarded []", [], GREEN, VERIFIED)
    assert verified.startswith("Fixes #7\n")
    assert "**Verified fix**: 1 test failing on the base commit abc" in verified
    assert "On the base commit: `python -m pytest -rA` exit 1" in verified
    assert pull_title("mean() of []", 7, True) == "mean() of [] (#7)"

    for verdict in (unverified("the change adds no test"), None):
        body = pull_body(7, "guarded []", [], GREEN, verdict)
        assert (body.startswith("Refs #7\n") and "Unverified" in body) or "not verified" in body
    assert pull_title("mean() of []", 7, False) == "[unverified] mean() of [] (#7)"
    assert pull_body(7, "s", [], None, None).startswith("Refs #7\n")  # no test command


def test_the_status_comment_tells_a_verified_fix_from_an_unverified_one():
    done = StatusView("o/r#7", "completed", 1, 3, 9, pr_url="http://x/pull/1")
    fixed = render(done.__class__(**{**done.__dict__, "reason": VERIFIED.summary}))
    assert "✅ Done: a verified fix is in a draft pull request" in fixed
    assert "| Verification | verified fix: 1 test failing" in fixed
    shaky = render(done.__class__(**{**done.__dict__, "reason": "unverified: no test changed"}))
    assert (
        UNVERIFIED_HEADLINE in shaky and "| Verification | unverified: no test changed |" in shaky
    )
    assert UNVERIFIED_HEADLINE in render(done)  # completed before verification existed
