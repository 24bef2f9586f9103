"""The default sandbox image on a real engine: a repository's setup and test commands run in it,
with no network (what docs/bzzz-yml.md's setup example and `test: pytest -q` need)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runner.sandbox.container import Sandbox, SandboxConfig
from tests.fixtures.containers import TEST_RUNNER_ID

# Engine behaviour: run on Podman and on Docker Engine (tests/fixtures/containers.py).
pytestmark = pytest.mark.both_engines

# A repository whose tests import its top-level module without installing it (as
# tabulate's do): `pytest` alone would not find the module unless the working directory
# is on sys.path, which `python -m pytest` adds.
FILES = {
    "calc.py": "def double(x):\n    return 2 * x\n",
    "tests/test_calc.py": (
        "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    ),
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "calc"\nversion = "0.1"\n\n[tool.setuptools]\npy-modules = ["calc"]\n'
    ),
}


@pytest.fixture(scope="module")
def box(docker_client, sandbox_image: str, tmp_path_factory) -> Iterator[Sandbox]:
    workspace = tmp_path_factory.mktemp("image-workspace")
    for name, text in FILES.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text)
    config = SandboxConfig(image=sandbox_image)
    assert config.network == "none"  # everything below runs offline
    with Sandbox(
        docker_client, workspace, runner_id=TEST_RUNNER_ID, task_key="o/image#1", config=config
    ) as sandbox:
        yield sandbox


def _ok(box: Sandbox, command: str) -> str:
    result = box.run(command)
    assert result.exit_code == 0, result.observation()
    return result.output


def test_the_image_has_debian_bookworms_python_3_11_with_pip_and_venv(box: Sandbox):
    assert _ok(box, "python3 --version").startswith("Python 3.11.")
    assert _ok(box, "python --version").startswith("Python 3.11.")
    assert "python 3.11" in _ok(box, "python3 -m pip --version")
    assert "/tmp/v/" in _ok(box, "python3 -m venv /tmp/v && /tmp/v/bin/pip --version")


def test_pytest_on_path_finds_the_repositorys_modules_as_python_m_pytest_does(box: Sandbox):
    assert "1 passed" in _ok(box, "python -m pytest -q")
    assert "1 passed" in _ok(box, "pytest -q")


def test_the_documented_setup_step_installs_the_repository_offline(box: Sandbox):
    output = _ok(box, "pip install --no-index -e .")
    assert "Successfully installed calc-0.1" in output
    # Installed, not just on the path: importable from elsewhere, pointing at the work tree.
    assert _ok(box, "cd / && python3 -c 'import calc; print(calc.__file__)'") == (
        "/workspace/calc.py\n"
    )
