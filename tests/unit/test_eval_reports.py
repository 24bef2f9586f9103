"""Published eval runs without S3: run ids, parsing stored (hostile) lines, and the
publisher's check that a folder is what runner.evaluation.report wrote."""

from __future__ import annotations

import json

import pytest

from bzzz.eval_reports import parse_results, parse_row, run_id
from bzzz.eval_reports.runs import MAX_ROWS, MAX_TEXT, parse_summary
from runner.evaluation.report import ReportError, Result, write, written


def test_a_malformed_results_line_is_skipped_with_a_note_and_the_rest_shown():
    good = json.dumps({"instance_id": "a__b-1", "resolved": False, "outcome": "budget",
                       "seconds": 12.25, "iterations": True, "tokens": -4})  # fmt: skip
    raw = "\n".join([good, "{cut off", '{"resolved": true}', '"text"', "",
                     '{"instance_id": "x", "resolved": 1}']).encode() + b"\n"  # fmt: skip
    results = parse_results(raw)
    [row] = results.rows
    shown = (row.instance_id, row.resolved, row.outcome, row.seconds)
    assert shown == ("a__b-1", False, "budget", 12.2)
    assert row.iterations is None and row.tokens is None  # a bool or a negative is no count
    assert results.skipped_count == 4 and not results.truncated
    assert results.skipped[0].startswith("line 2: ")
    assert results.skipped[1:] == ["line 3: no instance_id", "line 4: not a JSON object",
                                   "line 6: resolved is not true or false"]  # fmt: skip


def test_stored_text_loses_control_characters_and_is_bounded():
    row = parse_row(json.dumps({"instance_id": "a\x1b[2Jb", "resolved": True,
                                "outcome": "x" * 5000, "note": "\x07n"}).encode())  # fmt: skip
    assert row.instance_id == "ab" and row.note == "n"  # the whole escape sequence goes
    assert len(row.outcome) == MAX_TEXT and row.outcome.endswith("…")


def test_rows_past_the_limit_and_a_cut_last_line_say_the_results_are_truncated():
    line = b'{"instance_id": "i", "resolved": true, "outcome": "finished"}\n'
    assert parse_results(line * (MAX_ROWS + 5)).truncated
    cut = parse_results(line * 2 + line[:20], cut=True)
    assert len(cut.rows) == 2 and cut.truncated and not cut.skipped_count


def test_the_run_id_is_the_time_then_a_key_safe_model_name():
    assert run_id("qwen2.5-coder:7b", 1_796_300_000.0) == "20261203T121320Z-qwen2.5-coder-7b"
    assert run_id("../../etc/passwd", 0.0) == "19700101T000000Z-etc-passwd"
    assert run_id("///", 0.0) == "19700101T000000Z-model"


def test_a_summary_is_counted_from_its_numbers_and_refused_when_they_disagree():
    ident = "20261203T121320Z-m"
    ok = parse_summary(ident, b'{"model": "m", "instances": 3, "resolved": 2, '
                              b'"resolved_percent": 99.9}')  # fmt: skip
    assert ok.percent == 66.7 and not ok.problem  # resolved / instances, not the file's word
    assert parse_summary(ident, b'{"instances": 0, "resolved": 0}').percent is None
    for bad in (b'{"instances": 1, "resolved": 2}', b'{"instances": true, "resolved": 0}', b"[]"):
        assert parse_summary(ident, bad).problem.startswith("summary.json unreadable")
    assert parse_summary(ident, None).problem == "no summary.json"


def test_the_publisher_takes_only_what_report_write_wrote(tmp_path):
    results = [Result("a__b-1", True, "finished", tokens=10, seconds=1.5)]
    write(tmp_path, "m", results)
    assert written(tmp_path) == ("m", results)
    summary = tmp_path / "summary.json"
    summary.write_text(summary.read_text().replace('"resolved": 1', '"resolved": 7'))
    with pytest.raises(ReportError, match=r"summary\.json is not what bzzz eval wrote"):
        written(tmp_path)
    write(tmp_path, "m", results)
    with (tmp_path / "results.jsonl").open("a") as handle:
        handle.write('{"instance_id": "x", "resolved": true, "extra": 1}\n')
    with pytest.raises(ReportError, match=r"not a finished `bzzz eval` run"):
        written(tmp_path)
    (tmp_path / "results.jsonl").unlink()
    with pytest.raises(ReportError):
        written(tmp_path)
