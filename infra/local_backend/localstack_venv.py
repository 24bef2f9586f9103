"""LocalStack's own virtual environment: Python 3.13, localstack-core and its pins, in .bzzz.

localstack-core 2026.3.0 needs Python 3.13 while the project runs on 3.12 (the
Lambda runtime), so LocalStack gets a virtual environment of its own. Python
3.13 is found the way infra/setup.sh finds 3.12 and never at a path of one
machine; the environment is reinstalled when the requirements file changes.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from infra.local_backend.errors import ServerError

REQUIREMENTS = Path(__file__).with_name("localstack-requirements.txt")
INSTALL_TIMEOUT_SECONDS = 900.0

_MISSING_PYTHON = """Python 3.13 (for LocalStack 2026.3.0) was not found. Install it with one of:
    pyenv install 3.13         (pyenv's versions folder is searched)
    apt-get install python3.13 (Debian 13 and later)
    uv python install 3.13
  or point BZZZ_PYTHON313 at a python3.13 binary."""


def _is_python313(candidate: str | None) -> bool:
    if not candidate:
        return False
    try:
        # A pyenv shim exists but fails unless 3.13 is selected: run it to know.
        result = subprocess.run(
            [candidate, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 13))"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _pyenv_root() -> str | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    try:
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None


def _candidates() -> list[str | None]:
    home = Path.home()
    listed: list[str | None] = [os.environ.get("BZZZ_PYTHON313"), shutil.which("python3.13")]
    folders = [_pyenv_root(), str(home / ".pyenv")]
    for folder in folders:
        if folder:
            listed += sorted(glob.glob(f"{folder}/versions/3.13*/bin/python3.13"), reverse=True)
    uv_dirs = [os.environ.get("UV_PYTHON_INSTALL_DIR"), str(home / ".local/share/uv/python")]
    for folder in uv_dirs:
        if folder:
            listed += sorted(glob.glob(f"{folder}/cpython-3.13*/bin/python3.13"), reverse=True)
    return listed


def find_python313() -> str:
    """A Python 3.13 interpreter, or a ServerError saying exactly how to get one."""
    for candidate in _candidates():
        if _is_python313(candidate):
            return str(candidate)
    raise ServerError(_MISSING_PYTHON)


def venv_python(root: Path) -> Path:
    return root / "venv" / "bin" / "python"


def ensure_installed(root: Path) -> Path:
    """The venv's python, installing localstack-core and its pins first when needed.

    A changed requirements file is applied to the existing venv (pip moves
    each pin), which takes seconds; a missing venv is made from scratch.
    """
    python = venv_python(root)
    stamp = root / "venv" / ".bzzz-requirements"
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    steps = [[str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]]
    if not python.exists():
        interpreter = find_python313()
        print(f"[localstack] installing localstack-core into {root / 'venv'} ({interpreter})")
        shutil.rmtree(root / "venv", ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
        steps.insert(0, [interpreter, "-m", "venv", str(root / "venv")])
    for step in steps:
        try:
            subprocess.run(step, check=True, timeout=INSTALL_TIMEOUT_SECONDS)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ServerError(f"installing LocalStack failed at `{' '.join(step)}`: {exc}") from exc
    stamp.write_text(wanted, encoding="utf-8")
    return python
