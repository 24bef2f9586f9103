"""The suite's own layout rules, checked on its files: every test module sits in a tier
directory, and no test module imports another test module, a conftest, or a fixture
(fixtures are found by pytest: conftest.py, or tests/fixtures/ through tests/conftest.py)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
TIERS = ("unit", "integration", "security", "e2e", "browser", "localstack", "real_model")
MODULES = sorted(TESTS.rglob("test_*.py"))


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every `from tests... import ...` and `import tests...` in `path`."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests"):
            found.append((node.module or "", [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("tests")]
    return found


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def test_every_test_module_is_in_a_tier_directory():
    places = {str(p.relative_to(TESTS)): p.relative_to(TESTS).parts[0] for p in MODULES}
    assert {path: tier for path, tier in places.items() if tier not in TIERS} == {}


def _problems(path: Path) -> list[str]:
    problems = []
    for module, names in _imports(path):
        if _is_test_module(module):
            problems.append(f"imports {module}")
            continue
        for name in names:
            if _is_test_module(f"{module}.{name}"):
                problems.append(f"imports {module}.{name}")
            elif type(getattr(importlib.import_module(module), name, None)).__name__ == (
                "FixtureFunctionDefinition"
            ):
                problems.append(f"imports the fixture {module}.{name}")
    return problems


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_module_imports_a_test_module_or_a_fixture(path: Path):
    assert _problems(path) == []


def test_the_check_sees_a_planted_fixture_import(tmp_path: Path):
    planted = tmp_path / "test_planted.py"
    planted.write_text(
        "from tests.fixtures.http_function import HttpFunction, http_function\n"
        "from tests.integration import test_agent\n"
        "import tests.e2e.conftest\n"
    )
    assert _problems(planted) == [
        "imports the fixture tests.fixtures.http_function.http_function",
        "imports tests.integration.test_agent",
        "imports tests.e2e.conftest",
    ]
