"""`bzzz eval` calibrated on the real pipeline: with a scripted model that applies each
instance's gold patch it scores 100 %, with one that changes nothing 0 %, and with one
that applies a wrong patch 0 %, the runner never reporting a green finish and the
partial branch kept. The repositories are made here with git; everything else is the
embedded stack that `bzzz demo` runs (moto, the GitHub and Ollama stand-ins, Podman)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.git_repos import git

ROOT = Path(__file__).resolve().parents[2]
BUGGY = "def mean(xs):\n    return sum(xs) / len(xs)\n"
FIXED = "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n"
TESTS = "from stats import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n"
HIDDEN = TESTS + "\n\ndef test_empty():\n    assert mean([]) == 0.0\n"
CLAMP = "def clamp(x, lo, hi):\n    return max(lo, x)\n"
CLAMPED = "def clamp(x, lo, hi):\n    return min(hi, max(lo, x))\n"
CLAMP_TESTS = "from clamp import clamp\n\n\ndef test_low():\n    assert clamp(-1, 0, 9) == 0\n"
CLAMP_HIDDEN = CLAMP_TESTS + "\n\ndef test_high():\n    assert clamp(12, 0, 9) == 9\n"


def make_instance(repos: Path, name: str, module: str, files: tuple[str, str, str, str]) -> dict:
    buggy, fixed, tests, hidden = files
    repo = repos / name
    (repo / "tests").mkdir(parents=True)
    (repo / f"{module}.py").write_text(buggy)
    (repo / "tests" / f"test_{module}.py").write_text(tests)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    base = git(repo, "rev-parse", "HEAD").strip()

    def diff(path: str, new: str) -> str:
        old = (repo / path).read_text()
        (repo / path).write_text(new)
        out = git(repo, "diff", "--", path)
        (repo / path).write_text(old)
        return out

    test_file = f"tests/test_{module}.py"
    hidden_ids = {"stats": "test_empty", "clamp": "test_high"}
    kept_ids = {"stats": "test_mean", "clamp": "test_low"}
    return {
        "instance_id": f"local__{name}-1", "repo": f"local/{name}", "base_commit": base,
        "problem_statement": f"{module} is wrong at the edge\n\nSee the {module} tests.",
        "FAIL_TO_PASS": json.dumps([f"{test_file}::{hidden_ids[module]}"]),
        "PASS_TO_PASS": json.dumps([f"{test_file}::{kept_ids[module]}"]),
        "test_patch": diff(test_file, hidden), "patch": diff(f"{module}.py", fixed),
    }  # fmt: skip


@pytest.fixture(scope="module")
def instances(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    repos = root / "repos"
    rows = [
        make_instance(repos, "stats", "stats", (BUGGY, FIXED, TESTS, HIDDEN)),
        make_instance(repos, "clamp", "clamp", (CLAMP, CLAMPED, CLAMP_TESTS, CLAMP_HIDDEN)),
    ]
    path = root / "instances.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, repos


def run_eval(instances: tuple[Path, Path], mode: str, out: Path) -> tuple[dict, list[dict]]:
    path, repos = instances
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "eval", str(path), "--repos", str(repos),
         "--scripted", mode, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    summary = json.loads((out / "summary.json").read_text())
    results = [json.loads(line) for line in (out / "results.jsonl").open()]
    predictions = [json.loads(line) for line in (out / "predictions.jsonl").open()]
    assert [p["instance_id"] for p in predictions] == [r["instance_id"] for r in results]
    assert f"resolved {summary['resolved']}/2" in done.stdout
    return summary, results


def test_the_gold_patch_scores_100_percent(instances, tmp_path):
    summary, results = run_eval(instances, "gold", tmp_path / "gold")
    assert summary["resolved_percent"] == 100.0, results
    assert all(r["outcome"] == "finished" and r["pr_url"] for r in results)
    assert all("+    return" in r["patch"] for r in results)  # the model_patch is the fix


def test_changing_nothing_scores_0_percent(instances, tmp_path):
    summary, results = run_eval(instances, "none", tmp_path / "none")
    assert summary["resolved_percent"] == 0.0
    assert all(r["pr_url"] is None and r["patch"] == "" for r in results)
    assert all(r["missing"] for r in results)  # the hidden tests fail on the base


def test_a_wrong_patch_scores_0_and_is_never_a_green_finish(instances, tmp_path):
    summary, results = run_eval(instances, "wrong", tmp_path / "wrong")
    assert summary["resolved_percent"] == 0.0
    for result in results:
        assert result["outcome"] == "budget" and result["pr_url"] is None, result
        assert result["branch"] and "a wrong fix" in result["patch"]  # the partial branch
