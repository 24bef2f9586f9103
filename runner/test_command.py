"""The test command of a repository that does not name one: found from the files it has.

    found = choose_test_command(config.test_command, workspace_path)
    found.command, found.because     # "python -m pytest -q", "pytest.ini"; None: no command

`.bzzz.yml`'s `test:` always wins; without one, `detect_test_command` looks.
The rules, first match wins (docs/bzzz-yml.md lists them for users):

    pytest.ini; [tool.pytest.ini_options] in pyproject.toml;     python -m pytest -q
      [tool:pytest] in setup.cfg; [pytest] in tox.ini;
      conftest.py; test_*.py / *_test.py at the top, in tests/, test/
    tox.ini or noxfile.py that run pytest                       python -m pytest -q
    a Makefile with a `test:` target                            make test
    package.json with scripts.test (not npm's placeholder)      npm test

A src layout (a package under src/, none of that name at the top, no `pythonpath` in
pytest's settings) gets `PYTHONPATH=src` in front of pytest: the sandbox does not install
the package, and without it every test fails to import it, which reads as a red suite
the agent cannot fix.

`python -m pytest`, not `pytest`: only the former puts the work tree on
sys.path, so a package that is not installed still imports. tox and nox are
never run themselves: they build virtual environments from the network, which
the sandbox does not have; where they drive pytest, pytest is run directly,
and where they do not, nothing is guessed (set `test:`).

Every file is read with runner.repo_file (no link followed on the way, only
regular files, at most MAX_BYTES): a file that is a link, too large or not
readable counts as absent.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from runner.errors import RepoFileError
from runner.repo_file import list_no_follow, read_no_follow

MAX_BYTES = 256_000
MAX_ENTRIES = 10_000  # entries of a tests/ folder looked at
PYTEST = "python -m pytest -q"
SRC_PYTEST = f"PYTHONPATH=src {PYTEST}"
_NPM_PLACEHOLDER = 'echo "Error: no test specified" && exit 1'
_MAKE_TEST = re.compile(r"^test\s*:(?!=)", re.MULTILINE)
_TEST_FILE = re.compile(r"^(test_.*|.*_test)\.py$")


@dataclass(frozen=True)
class TestCommand:
    command: str
    because: str  # what in the repository says so, for the trajectory and the log

    __test__ = False  # not a pytest test class


def choose_test_command(configured: str | None, root: Path) -> TestCommand | None:
    """`.bzzz.yml`'s `test:` when it names one, else what the repository's files show."""
    if configured:
        return TestCommand(configured, "the test field of the repository's bzzz.yml")
    return detect_test_command(root)


def detect_test_command(root: Path) -> TestCommand | None:
    """The repository's test command by the rules above, or None when nothing is obvious."""
    why = _pytest_signal(root)
    if why is None:
        for name in ("tox.ini", "noxfile.py"):
            text = _read(root, name)
            if text is not None and "pytest" in text:
                why = f"{name} runs pytest"
                break
    if why is not None:
        package = _src_package(root)
        if package is not None:
            return TestCommand(SRC_PYTEST, f"{why}; src/{package} is a src layout")
        return TestCommand(PYTEST, why)
    for name in ("GNUmakefile", "makefile", "Makefile"):
        text = _read(root, name)
        if text is not None and _MAKE_TEST.search(text):
            return TestCommand("make test", f"{name} has a test target")
    script = _npm_test(_read(root, "package.json"))
    if script is not None:
        return TestCommand("npm test", "package.json has scripts.test")
    return None


def _read(root: Path, name: str) -> str | None:
    try:
        raw = read_no_follow(root, name, MAX_BYTES)
    except RepoFileError:
        return None  # a link, a FIFO, too large: as if it were not there
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _files(root: Path, folder: str) -> list[str]:
    try:
        return list_no_follow(root, folder, MAX_ENTRIES) or []
    except RepoFileError:
        return []


def _pytest_signal(root: Path) -> str | None:
    if _read(root, "pytest.ini") is not None:
        return "pytest.ini"
    if _has_pytest_table(_read(root, "pyproject.toml")):
        return "pyproject.toml has [tool.pytest.ini_options]"
    if _has_section(_read(root, "setup.cfg"), "tool:pytest"):
        return "setup.cfg has [tool:pytest]"
    if _has_section(_read(root, "tox.ini"), "pytest"):
        return "tox.ini has [pytest]"
    if _read(root, "conftest.py") is not None:
        return "conftest.py"
    for folder in (".", "tests", "test"):
        if any(_TEST_FILE.match(name) for name in _files(root, folder)):
            where = "the top folder" if folder == "." else f"{folder}/"
            return f"test_*.py files in {where}"
    return None


def _src_package(root: Path) -> str | None:
    """The package of a src layout pytest would not find by itself, or None."""
    if _sets_pythonpath(root):
        return None
    try:
        packages = list_no_follow(root, "src", MAX_ENTRIES, folders=True) or []
        top = set(list_no_follow(root, ".", MAX_ENTRIES, folders=True) or [])
    except RepoFileError:
        return None
    for package in sorted(packages):
        if package not in top and _read(root, f"src/{package}/__init__.py") is not None:
            return package
    return None


def _sets_pythonpath(root: Path) -> bool:
    """Does pytest's own configuration already put folders on sys.path (pytest >= 7)?"""
    for name in ("pytest.ini", "setup.cfg", "tox.ini"):
        text = _read(root, name)
        if text is not None and re.search(r"^pythonpath\s*=", text, re.MULTILINE):
            return True
    text = _read(root, "pyproject.toml")
    if text is None:
        return False
    try:
        tool = tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        return False
    table = tool.get("pytest") if isinstance(tool, dict) else None
    options = table.get("ini_options") if isinstance(table, dict) else None
    return isinstance(options, dict) and "pythonpath" in options


def _has_pytest_table(text: str | None) -> bool:
    if text is None:
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and isinstance(tool.get("pytest"), dict)


def _has_section(text: str | None, section: str) -> bool:
    if text is None:
        return False
    return re.search(rf"^\[{re.escape(section)}\]\s*$", text, re.MULTILINE) is not None


def _npm_test(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    test = scripts.get("test") if isinstance(scripts, dict) else None
    if not isinstance(test, str) or not test.strip() or test.strip() == _NPM_PLACEHOLDER:
        return None
    return test
