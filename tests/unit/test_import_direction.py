"""The dependency direction (docs/architecture.md), as import-linter contracts in pyproject.toml.

`handlers/`, `runner/` and `infra/` import `bzzz/` only; `bzzz/` imports none of
them nor the runner's or the HTTP app's libraries; only `cli/` composes. The
second test plants a violation in a copy of the contracts, so a contract that
could never break would fail here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

# lint-imports is a static analysis tool: it reads files and opens no socket.
pytestmark = pytest.mark.runs_tool("lint-imports on the tree and on planted copies")

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_tree_keeps_every_contract() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "imports", "contract"),
    [
        ("bzzz/leak.py", "import runner.work", "bzzz/ is the domain"),
        ("runner/leak.py", "import infra.tool", "handlers/, runner/ and infra/"),
        ("infra/leak.py", "import cli.root", "only cli/"),
        ("bzzz/engine.py", "import docker", "the docker and ollama clients"),
    ],
)
def test_a_planted_violation_breaks_its_contract(
    tmp_path: Path, module: str, imports: str, contract: str
) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package in ("bzzz", "handlers", "runner", "infra", "cli"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name, text in {"runner/work.py": "", "infra/tool.py": "", "cli/root.py": ""}.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "docker.py").write_text("")  # an external package stand-in on the path
    (tmp_path / module).write_text(imports + "\n")
    (tmp_path / ".importlinter").write_text(_ini(config))
    done = _lint(tmp_path)
    assert done.returncode != 0, done.stdout
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), done.stdout


def _ini(config: dict[str, object]) -> str:
    """The pyproject contracts rendered as import-linter's INI format."""
    lines = ["[importlinter]"]
    lines.append("root_packages =\n    " + "\n    ".join(config["root_packages"]))  # type: ignore[arg-type]
    lines.append("include_external_packages = True")
    for i, contract in enumerate(config["contracts"]):  # type: ignore[attr-defined]
        lines.append(f"[importlinter:contract:{i}]")
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =\n    " + "\n    ".join(value))
            else:
                lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"
