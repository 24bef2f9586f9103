"""Finding Python 3.13 for LocalStack: searched like setup.sh finds 3.12, never hard-coded."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from infra.local_backend.errors import ServerError
from infra.local_backend.localstack_venv import find_python313

# The candidates are asked for their version by running them: no socket is opened.
pytestmark = pytest.mark.runs_tool("runs candidate interpreters with -c to read their version")


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No python3.13 on PATH, no pyenv, an empty home: nothing to find."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in ("BZZZ_PYTHON313", "UV_PYTHON_INSTALL_DIR"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def fake_python(path: Path, answers: bool) -> Path:
    # Stands for an interpreter that does (exit 0) or does not (exit 1) report 3.13.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\nexit {0 if answers else 1}\n")
    path.chmod(0o755)
    return path


def test_missing_python_says_exactly_what_to_install(bare: Path):
    with pytest.raises(ServerError) as caught:
        find_python313()
    for hint in ("pyenv install 3.13", "apt-get install python3.13", "uv python install 3.13"):
        assert hint in str(caught.value)
    assert "BZZZ_PYTHON313" in str(caught.value)


def test_an_interpreter_that_is_not_313_is_passed_over(bare: Path, monkeypatch):
    monkeypatch.setenv("BZZZ_PYTHON313", sys.executable)  # the suite's own 3.12
    fake_python(bare / "bin" / "python3.13", answers=False)  # a pyenv shim with none selected
    with pytest.raises(ServerError):
        find_python313()


def test_pyenv_and_uv_folders_under_home_are_searched(bare: Path):
    uv = fake_python(bare / ".local/share/uv/python/cpython-3.13.2-linux/bin/python3.13", True)
    assert find_python313() == str(uv)
    pyenv = fake_python(bare / ".pyenv/versions/3.13.1/bin/python3.13", True)
    assert find_python313() == str(pyenv)  # pyenv's versions come before uv's


def test_bzzz_python313_comes_first(bare: Path, monkeypatch):
    fake_python(bare / ".pyenv/versions/3.13.1/bin/python3.13", True)
    chosen = fake_python(bare / "elsewhere" / "python", True)
    monkeypatch.setenv("BZZZ_PYTHON313", str(chosen))
    assert find_python313() == str(chosen)
