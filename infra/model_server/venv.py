"""The model server's own virtual environment, in .bzzz/model-server/venv.

xllamacpp (a prebuilt llama.cpp server) is needed only where a real model runs
here (`make test-real-model`, `bzzz eval --model-server local`, `python -m
infra.model_server up`), so it stays out of the project's locked environment and
CI's install. The venv is made with the project's own Python 3.12, the
interpreter running this (infra/setup.sh found it, never at a path of one
machine), or BZZZ_PYTHON; it is reinstalled when requirements.txt changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from infra.model_server.errors import ModelServerError

REQUIREMENTS = Path(__file__).with_name("requirements.txt")
INSTALL_TIMEOUT_SECONDS = 900.0


def venv_python(root: Path) -> Path:
    return root / "venv" / "bin" / "python"


def _interpreter() -> str:
    chosen = os.environ.get("BZZZ_PYTHON", "").strip()
    # A venv's python makes a venv on its base interpreter, not inside the project's venv.
    return chosen or getattr(sys, "_base_executable", "") or sys.executable


def ensure_venv(root: Path) -> Path:
    """The venv's python, installing requirements.txt first when it changed or is missing."""
    python = venv_python(root)
    stamp = root / "venv" / ".bzzz-requirements"
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    steps = [[str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
              "-r", str(REQUIREMENTS)]]  # fmt: skip
    if not python.exists():
        interpreter = _interpreter()
        print(f"[model-server] installing xllamacpp into {root / 'venv'} ({interpreter})")
        shutil.rmtree(root / "venv", ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
        steps.insert(0, [interpreter, "-m", "venv", str(root / "venv")])
    for step in steps:
        try:
            subprocess.run(step, check=True, timeout=INSTALL_TIMEOUT_SECONDS,
                           capture_output=True, text=True)  # fmt: skip
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise ModelServerError(f"installing the model server failed at "
                                   f"`{' '.join(step)}`: {last[:300]}") from exc  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise ModelServerError(
                f"installing the model server failed at `{' '.join(step)}`: {exc}"
            ) from exc
    stamp.write_text(wanted, encoding="utf-8")
    return python
