"""What the issue is told about setup: why it failed, or that it seems to be missing.

Both go on a public issue. The failing command and its output are the
repository's and the preparation container's, so they are neutralised (no
live @mention, no closing keyword) and fenced so nothing in them renders or
closes the block; the output is cut to its tail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bzzz.github import fence, neutralise
from runner.errors import RepoFileError
from runner.prepare.errors import PrepareError, SetupFailedError

if TYPE_CHECKING:
    from pathlib import Path

    from runner.agent.types import Outcome

COMMENT_TAIL = 3000
_MISSING = ("ModuleNotFoundError", "No module named", "ImportError")
_DEPENDENCY_FILES = ("requirements*.txt", "pyproject.toml")

SETUP_EXAMPLE = """```yaml
setup:
  - pip install -r requirements.txt   # or: pip install -e .
```"""


def setup_failed_comment(error: PrepareError) -> str:
    lines = [f"Bzzz could not prepare this repository's dependencies: {neutralise(str(error))}."]
    if isinstance(error, SetupFailedError) and error.tail.strip():
        lines += ["", "The end of its output:", "", fence(neutralise(error.tail[-COMMENT_TAIL:]))]
    lines += [
        "",
        "The `setup` steps of `.bzzz.yml` run once in a preparation container before the "
        "agent starts (docs/bzzz-yml.md); once `.bzzz.yml` or the dependency files are "
        "fixed, a `/bzzz retry` comment runs the task again.",
    ]
    return "\n".join(lines)


def setup_hint(workspace: Path, outcome: Outcome | None) -> str | None:
    """A suggestion to add `setup`, when the tests could not import and there is none.

    Only for a repository with a requirements file or pyproject.toml whose last test
    run says a module is missing; None otherwise.
    """
    from runner.prepare.errors import FingerprintError
    from runner.prepare.fingerprint import dependency_files

    test = outcome.test if outcome is not None else None
    if test is None or test.passed or not any(word in test.output for word in _MISSING):
        return None
    try:
        found = [name for name, _ in dependency_files(workspace, _DEPENDENCY_FILES)]
    except (FingerprintError, RepoFileError, OSError):
        return None
    if not found:
        return None
    listed = ", ".join(f"`{neutralise(name)}`" for name in found[:5])
    return (
        "The tests could not import a module, and this repository has no `setup` in "
        f"`.bzzz.yml` although it lists its dependencies ({listed}). The agent's sandbox "
        "has no network, so dependencies are installed by setup steps, once, before the "
        f"agent starts:\n\n{SETUP_EXAMPLE}\n\nSee `setup` in docs/bzzz-yml.md."
    )
