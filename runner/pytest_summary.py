"""What a test command says about pytest: how it starts it, and its short test summary.

    pytest_launcher("PYTHONPATH=src python -m pytest -q")   # "PYTHONPATH=src python -m pytest"
    summary_outcomes(output)   # {"tests/test_a.py::test_two": "FAILED", ...}

The outcomes are read from pytest's last short test summary (`-rA` lists every test;
the default `-rfE` the failures and errors). They are text the code under test could
print too: callers use them for display, or to narrow what a run by exit code judges,
never as a verdict of their own.
"""

from __future__ import annotations

import re

# `pytest`, `py.test`, `python -m pytest`, `python3 -m pytest` (with options after), after
# plain variable assignments (`PYTHONPATH=src python -m pytest`, runner.test_command's src
# layout): the launcher keeps them, or the change's tests would not import the package.
_PYTEST = re.compile(
    r"^\s*((?:[A-Za-z_][A-Za-z0-9_]*=[^\s;&|<>`$()'\"]*\s+)*"
    r"(?:(?:python3?(?:\.\d+)?\s+-m\s+pytest)|pytest|py\.test))(?=\s|$)"
)
_SUMMARY = re.compile(r"^=+ short test summary info =+$", re.MULTILINE)
_RESULT = re.compile(r"^(PASSED|FAILED|ERROR|XPASS)\s+(\S[^\n]*?)(?:\s+-\s+[^\n]*)?$", re.M)


def pytest_launcher(test_command: str) -> str | None:
    """How the repository starts pytest (`python -m pytest`, `pytest`), or None if it does not."""
    found = _PYTEST.match(test_command)
    return found.group(1) if found else None


def summary_outcomes(output: str) -> dict[str, str]:
    """Test id -> PASSED / FAILED / ERROR / XPASS, from the last short test summary."""
    headers = list(_SUMMARY.finditer(output))
    if not headers:
        return {}
    summary = output[headers[-1].end() :]
    return {name.strip(): outcome for outcome, name in _RESULT.findall(summary)}
