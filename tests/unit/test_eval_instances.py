"""SWE-bench-format instances, read strictly: both encodings of the test lists, and a typed
error naming the instance and the field for anything else; the totals of a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.evaluation.instances import InstanceError, load_instances, parse_instance
from runner.evaluation.report import Result, table, totals, write

GOOD = {
    "instance_id": "acme__stats-1",
    "repo": "acme/stats",
    "base_commit": "a" * 40,
    "problem_statement": "mean() of [] crashes\n\nIt raises ZeroDivisionError.",
    "FAIL_TO_PASS": ["tests/test_stats.py::test_empty"],
    "PASS_TO_PASS": ["tests/test_stats.py::test_mean"],
    "test_patch": "diff --git a/tests/test_stats.py b/tests/test_stats.py\n",
    "patch": "diff --git a/stats.py b/stats.py\n",
    "version": "1.0",
}


def test_swe_bench_s_json_encoded_lists_and_real_lists_read_alike(tmp_path: Path):
    encoded = {**GOOD, "instance_id": "acme__stats-2",
               "FAIL_TO_PASS": json.dumps(GOOD["FAIL_TO_PASS"]), "PASS_TO_PASS": "[]"}  # fmt: skip
    path = tmp_path / "i.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + json.dumps(encoded) + "\n")
    first, second = load_instances(path)
    assert first.fail_to_pass == second.fail_to_pass == ("tests/test_stats.py::test_empty",)
    assert (first.pass_to_pass, second.pass_to_pass) == (("tests/test_stats.py::test_mean",), ())
    assert (first.title, first.body) == ("mean() of [] crashes", "It raises ZeroDivisionError.")
    assert first.test_command is None and first.extra == {"version": "1.0"}
    assert [i.instance_id for i in load_instances(path, only=["acme__stats-2"])] == [
        "acme__stats-2"
    ]


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"repo": "not a repo"}, "repo", "must be owner/name"),
        ({"base_commit": "main"}, "base_commit", "commit id"),
        ({"FAIL_TO_PASS": []}, "FAIL_TO_PASS", "is empty"),
        ({"FAIL_TO_PASS": "[oops"}, "FAIL_TO_PASS", "not a JSON list"),
        ({"PASS_TO_PASS": [1]}, "PASS_TO_PASS", "list of test ids"),
        ({"test_patch": None}, "test_patch", "must be a string (missing)"),
        ({"problem_statement": "  "}, "problem_statement", "is empty"),
        ({"instance_id": "../x"}, "instance_id", "letters, digits"),
    ],
)
def test_a_bad_instance_names_its_field(change, field, problem):
    with pytest.raises(InstanceError) as caught:
        parse_instance({**GOOD, **change}, "i.jsonl:3")
    assert caught.value.field == field and problem in caught.value.problem
    assert str(caught.value).startswith("i.jsonl:3")


def test_duplicates_and_unknown_selections_are_refused(tmp_path: Path):
    path = tmp_path / "i.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n")
    with pytest.raises(InstanceError, match="acme__stats-1 twice"):
        load_instances(path)
    path.write_text(json.dumps([GOOD]))  # a JSON list works too
    with pytest.raises(InstanceError, match="not found: nope"):
        load_instances(path, only=["nope"])


def test_totals_predictions_and_the_table(tmp_path: Path):
    results = [
        Result("a", True, "finished", 4, 9000, 30.0, 5, patch="diff a"),
        Result("b", False, "budget", 12, 40000, 90.0, 12, note="tests still fail"),
        Result("c", True, "finished", 6, 11000, 50.0, 7, patch="diff c"),
    ]
    summary = write(tmp_path, "coder:7b", results)
    assert summary["resolved"] == 2 and summary["resolved_percent"] == 66.7
    assert (summary["median_seconds_resolved"], summary["median_tokens_resolved"]) == (40.0, 10000)
    assert summary["outcomes"] == {"finished": 2, "budget": 1}
    predictions = [json.loads(line) for line in (tmp_path / "predictions.jsonl").open()]
    assert predictions[0] == {"instance_id": "a", "model_name_or_path": "coder:7b",
                              "model_patch": "diff a"}  # fmt: skip
    assert totals([])["resolved_percent"] == 0.0
    assert "tests still fail" in table(results).splitlines()[3]
