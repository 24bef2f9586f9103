"""The test command without configuration: one rule per test, and the hostile repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.test_command import (
    MAX_BYTES,
    PYTEST,
    TestCommand,
    choose_test_command,
    detect_test_command,
)


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def command(root: Path) -> str | None:
    found = detect_test_command(root)
    return None if found is None else found.command


@pytest.mark.parametrize(
    ("name", "text", "because"),
    [
        ("pytest.ini", "[pytest]\n", "pytest.ini"),
        ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = '-q'\n", "pyproject.toml"),
        ("setup.cfg", "[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = t\n", "setup.cfg"),
        ("tox.ini", "[tox]\nenvlist = py312\n\n[pytest]\naddopts = -q\n", "tox.ini has [pytest]"),
        ("conftest.py", "", "conftest.py"),
        ("tests/test_core.py", "def test_x(): pass\n", "tests/"),
        ("test/core_test.py", "def test_x(): pass\n", "test/"),
        ("test_calc.py", "def test_x(): pass\n", "the top folder"),
    ],
)
def test_each_pytest_signal_gives_python_m_pytest(tmp_path, name, text, because):
    write(tmp_path, name, text)
    found = detect_test_command(tmp_path)
    assert found is not None and found.command == PYTEST == "python -m pytest -q"
    assert because in found.because


def test_tox_and_nox_that_run_pytest_give_pytest_itself(tmp_path):
    write(tmp_path, "tox.ini", "[tox]\nenvlist = py312\n\n[testenv]\ncommands = pytest {posargs}\n")
    assert detect_test_command(tmp_path) == TestCommand(PYTEST, "tox.ini runs pytest")
    other = tmp_path / "nox"
    write(other, "noxfile.py", "import nox\n\n@nox.session\ndef tests(s):\n    s.run('pytest')\n")
    assert detect_test_command(other) == TestCommand(PYTEST, "noxfile.py runs pytest")


def test_tox_or_nox_without_pytest_guess_nothing(tmp_path):
    # tox and nox build environments from the network, which the sandbox has not.
    write(tmp_path, "tox.ini", "[testenv]\ncommands = python -m unittest\n")
    write(tmp_path, "noxfile.py", "import nox\n")
    assert detect_test_command(tmp_path) is None


def test_a_makefile_test_target_gives_make_test(tmp_path):
    write(tmp_path, "Makefile", ".PHONY: test\nbuild:\n\tcc x.c\n\ntest: build\n\t./run\n")
    assert detect_test_command(tmp_path) == TestCommand("make test", "Makefile has a test target")


def test_a_makefile_without_one_or_with_a_variable_named_test_is_not_a_target(tmp_path):
    write(tmp_path, "Makefile", "test := 1\nTESTS = a\n.PHONY: test\nall:\n\techo\n")
    assert detect_test_command(tmp_path) is None


def test_package_json_scripts_test_gives_npm_test_but_not_npm_s_placeholder(tmp_path):
    write(tmp_path, "package.json", '{"scripts": {"test": "jest"}}')
    assert command(tmp_path) == "npm test"
    placeholder = '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}'
    write(tmp_path, "package.json", placeholder)
    assert command(tmp_path) is None
    for broken in ("not json", "[1]", '{"scripts": ["test"]}', '{"scripts": {"test": 3}}'):
        write(tmp_path, "package.json", broken)
        assert command(tmp_path) is None


def test_pytest_wins_over_make_and_npm(tmp_path):
    write(tmp_path, "Makefile", "test:\n\tpip install -e . && pytest\n")
    write(tmp_path, "package.json", '{"scripts": {"test": "jest"}}')
    write(tmp_path, "pytest.ini", "[pytest]\n")
    assert command(tmp_path) == PYTEST


def test_nothing_obvious_gives_none(tmp_path):
    write(tmp_path, "README.md", "# x\n")
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")  # no pytest table
    write(tmp_path, "src/x.py", "")
    write(tmp_path, "tests/helpers.py", "")  # a tests/ folder without test files
    assert detect_test_command(tmp_path) is None


def test_the_bzzz_yml_test_field_overrides(tmp_path):
    write(tmp_path, "pytest.ini", "[pytest]\n")
    chosen = choose_test_command("make check", tmp_path)
    assert chosen is not None and chosen.command == "make check"
    assert choose_test_command(None, tmp_path) == detect_test_command(tmp_path)


# ----- hostile repositories ------------------------------------------------------


def test_a_symlinked_pyproject_is_not_read(tmp_path):
    outside = write(tmp_path, "host/pyproject.toml", "[tool.pytest.ini_options]\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").symlink_to(outside)
    assert detect_test_command(repo) is None


@pytest.mark.parametrize("name", ["pytest.ini", "conftest.py", "Makefile", "package.json"])
def test_a_symlinked_signal_file_counts_as_absent(tmp_path, name):
    outside = write(tmp_path, f"host/{name}", "test:\n\tx\n" if name == "Makefile" else "{}")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / name).symlink_to(outside)
    assert detect_test_command(repo) is None


def test_a_symlinked_tests_folder_and_linked_test_files_are_not_followed(tmp_path):
    host = tmp_path / "host"
    write(host, "test_secret.py", "")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "tests").symlink_to(host)  # a folder on the host: not listed
    (repo / "test_link.py").symlink_to(host / "test_secret.py")  # a link, not a test file
    assert detect_test_command(repo) is None


def test_a_huge_file_is_not_read(tmp_path):
    write(tmp_path, "pyproject.toml", "[tool.pytest.ini_options]\n" + "#" * (MAX_BYTES + 1))
    write(tmp_path, "Makefile", "test:\n\tx\n" + "#" * (MAX_BYTES + 1))
    assert detect_test_command(tmp_path) is None


def test_a_fifo_does_not_block_and_bad_toml_is_no_signal(tmp_path):
    os.mkfifo(tmp_path / "package.json")
    write(tmp_path, "pyproject.toml", "[tool.pytest.ini_options\nnot toml")
    write(tmp_path, "setup.cfg", "tool:pytest\n")  # not a section header
    assert detect_test_command(tmp_path) is None


def test_a_folder_named_like_a_signal_file_is_no_signal(tmp_path):
    (tmp_path / "pytest.ini").mkdir()
    (tmp_path / "conftest.py").mkdir()
    assert detect_test_command(tmp_path) is None


# ----- src layouts -----------------------------------------------------------------


def test_a_src_layout_puts_src_on_the_path(tmp_path):
    write(tmp_path, "pyproject.toml", "[project]\nname = 'calc'\n")
    write(tmp_path, "src/calc/__init__.py", "")
    write(tmp_path, "tests/test_calc.py", "")
    found = detect_test_command(tmp_path)
    assert found is not None
    assert found.command == "PYTHONPATH=src python -m pytest -q"
    assert found.because == "test_*.py files in tests/; src/calc is a src layout"


def test_a_src_layout_found_through_tox_gets_the_path_too(tmp_path):
    write(tmp_path, "tox.ini", "[testenv]\ncommands = pytest {posargs}\n")
    write(tmp_path, "src/calc/__init__.py", "")
    assert command(tmp_path) == "PYTHONPATH=src python -m pytest -q"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", "[tool.pytest.ini_options]\npythonpath = ['src']\n"),
        ("pytest.ini", "[pytest]\npythonpath = src\n"),
        ("setup.cfg", "[tool:pytest]\npythonpath = src\n"),
    ],
)
def test_pytest_settings_that_set_pythonpath_are_left_alone(tmp_path, name, text):
    write(tmp_path, name, text)
    write(tmp_path, "src/calc/__init__.py", "")
    write(tmp_path, "tests/test_calc.py", "")
    assert command(tmp_path) == PYTEST


def test_not_a_src_layout_when_the_package_is_at_the_top_or_src_has_no_package(tmp_path):
    write(tmp_path, "pytest.ini", "[pytest]\n")
    write(tmp_path, "src/assets/logo.txt", "")  # a folder that is not a package
    write(tmp_path, "src/x.py", "")
    assert command(tmp_path) == PYTEST
    write(tmp_path, "calc/__init__.py", "")
    write(tmp_path, "src/calc/__init__.py", "")  # the top one is what is imported
    assert command(tmp_path) == PYTEST


def test_a_linked_src_package_is_not_followed(tmp_path):
    outside = tmp_path / "host" / "calc"
    outside.mkdir(parents=True)
    (outside / "__init__.py").write_text("")
    repo = tmp_path / "repo"
    write(repo, "pytest.ini", "[pytest]\n")
    (repo / "src").mkdir()
    (repo / "src" / "calc").symlink_to(outside)
    assert command(repo) == PYTEST
