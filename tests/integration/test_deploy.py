"""Deployment artifacts: `sam build` without a container, and what it ships; the
deploy role template, the workflow and the GitHub App manifest."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEPLOY = ROOT / "infra" / "deploy"
FUNCTIONS = ("ReconcileFunction", "StatusSyncFunction")


HOST_PLATFORM = (
    f"{'aarch64' if platform.machine() in ('arm64', 'aarch64') else 'x86_64'}-manylinux2014"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """`sam build` of template.yaml into a temporary folder (PyPI reachable, no container)."""
    out = tmp_path_factory.mktemp("sam-build")
    # As on a fresh machine: no `uv` on PATH (setup keeps its own in .bzzz/tools).
    dirs = [str(BIN), *os.environ["PATH"].split(os.pathsep)]
    path = os.pathsep.join(d for d in dirs if not (Path(d) / "uv").exists())
    # The functions run on arm64 (template.yaml); the wheels here are for this machine's
    # architecture, so that the import test below can load them (the Makefile's PLATFORM).
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "PATH": path, "PLATFORM": HOST_PLATFORM}
    result = subprocess.run(
        [str(BIN / "sam"), "build", "--template-file", str(ROOT / "template.yaml"),
         "--build-dir", str(out / "build"), "--cache-dir", str(out / "cache")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "build"


def test_functions_ship_only_bzzz_and_handlers(built):
    for name in FUNCTIONS:
        assert sorted(p.name for p in (built / name).iterdir()) == ["bzzz", "handlers"]
        assert (built / name / "handlers" / "reconcile.py").exists()
        assert (built / name / "handlers" / "status_sync.py").exists()
        assert not list((built / name).rglob("__pycache__"))


def test_the_layer_holds_the_lambda_extra_and_never_the_runner_stack(built):
    site = built / "DependenciesLayer" / "python"
    names = {p.name.lower() for p in site.iterdir()}
    for needed in ("aws_lambda_powertools", "githubkit", "mangum", "starlette", "pynamodb"):
        assert needed in names, needed
    for banned in ("docker", "ollama", "runner", "moto", "pytest", "uvicorn"):
        assert banned not in names, banned
    machine = HOST_PLATFORM.split("-")[0]
    assert any(p.name.endswith(f"{machine}-linux-gnu.so") for p in site.rglob("*.so"))


def test_the_built_entry_points_import_from_the_artifact_alone(built):
    """No site-packages (-S): only the function's code and the layer, as on Lambda."""
    path = os.pathsep.join(
        [str(built / "StatusSyncFunction"), str(built / "DependenciesLayer" / "python")]
    )
    code = (
        "import handlers.reconcile, handlers.status_sync, bzzz.reconcile.poll, bzzz.status.sync;"
        "from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor;"
        "import githubkit, sys;"
        "files = [getattr(m, '__file__', None) or '' for m in list(sys.modules.values())];"
        "assert not [f for f in files if 'site-packages' in f], 'outside the artifact'"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": path, "PATH": os.environ["PATH"]},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_built_template_points_functions_at_their_artifacts(built):
    from infra.local_backend.template import load_template

    resources = load_template(built / "template.yaml")["Resources"]
    for name in FUNCTIONS:
        assert resources[name]["Properties"]["CodeUri"] == name
    events = resources["StatusSyncFunction"]["Properties"]["Events"]["StatusQueue"]["Properties"]
    assert events["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    schedule = resources["ReconcileFunction"]["Properties"]["Events"]["Schedule"]
    assert schedule["Type"] == "ScheduleV2"
    assert set(json.loads(schedule["Properties"]["Input"])) == {
        "schedule_arn", "scheduled_time", "execution_id", "attempt",
    }  # fmt: skip


def test_the_lambda_requirements_come_from_uv_lock():
    result = subprocess.run(
        ["make", "--no-print-directory", "-f", "infra/lambda_build/Makefile", "requirements"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pinned = {line.split("==")[0].lower() for line in result.stdout.splitlines() if "==" in line}
    assert {"aws-lambda-powertools", "githubkit", "mangum", "boto3"} <= pinned
    assert not {"docker", "ollama", "pytest", "moto"} & pinned


@pytest.mark.parametrize(
    "template", ["template.yaml", "infra/deploy/oidc-role.yaml", "infra/deploy/actions-role.yaml"]
)
def test_templates_pass_cfn_lint(template):
    result = subprocess.run(
        [str(BIN / "cfn-lint"), template], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
