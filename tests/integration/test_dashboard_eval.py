"""The eval pages over real HTTP, on the test stack's own reports bucket (moto server): a
run written by runner.evaluation.report and published by `bzzz eval-publish`'s function,
then read by a signed-in GitHub user; the empty states; hostile stored lines."""

from __future__ import annotations

import os
import re
from pathlib import Path

from runner.evaluation.report import Result, write

RUNS = "/dashboard/eval"


def _run(out: Path, model: str, results: list[Result], at: float) -> Path:
    write(out, model, results)
    os.utime(out / "summary.json", (at, at))  # the run id's time is summary.json's
    return out


def _results() -> list[Result]:
    return [
        Result("acme__calc-1", True, "finished", iterations=3, tokens=2637, seconds=8.8),
        Result("acme__calc-2", True, "finished", iterations=5, tokens=4100, seconds=12.25),
        Result("acme__calc-<b>3</b>", False, "budget", iterations=8, tokens=17432,
               seconds=255.3, note="loop detected: `<script>x()</script>` 3 times"),
    ]  # fmt: skip


def test_a_published_run_shows_its_resolved_percent_and_each_instance(dashboard, tmp_path):
    from cli.eval_publish import publish_run

    older = _run(tmp_path / "old", "scripted-none", [Result("acme__calc-1", False, "finished")],
                 1_796_000_000.0)  # fmt: skip
    newer = _run(tmp_path / "new", "qwen2.5-coder:7b", _results(), 1_796_300_000.0)
    assert publish_run(dashboard.settings, older).endswith("/eval/20261130T005320Z-scripted-none/")
    where = publish_run(dashboard.settings, newer)
    assert (
        where == f"s3://{dashboard.settings.reports_bucket}/eval/20261203T121320Z-qwen2.5-coder-7b/"
    )

    session = dashboard.sign_in("mallory")  # a reader of one repository: eval runs are for all
    listing = dashboard.get(RUNS, session)
    assert listing.status_code == 200
    assert re.findall(r'data-run="([^"]+)"', listing.text) == [
        "20261203T121320Z-qwen2.5-coder-7b", "20261130T005320Z-scripted-none",
    ]  # newest first  # fmt: skip
    assert '<span class="percent">66.7 %</span> (2 / 3)' in listing.text
    assert '<span class="percent">0.0 %</span> (0 / 1)' in listing.text
    assert "qwen2.5-coder:7b" in listing.text and "2026-12-03 12:13:20 UTC" in listing.text
    assert 'href="/dashboard/eval"' in listing.text  # the nav link

    page = dashboard.get(f"{RUNS}/20261203T121320Z-qwen2.5-coder-7b", session)
    assert page.status_code == 200
    rows = re.findall(r'<tr data-instance="([^"]+)">(.*?)</tr>', page.text, re.S)
    assert [r[0] for r in rows] == [
        "acme__calc-1",
        "acme__calc-2",
        "acme__calc-&lt;b&gt;3&lt;/b&gt;",
    ]
    verdicts = [re.search(r"</span> (resolved|not resolved)</span>", r[1]).group(1) for r in rows]
    assert verdicts == ["resolved", "resolved", "not resolved"]
    assert "✓" in rows[0][1] and "✗" in rows[2][1]  # an icon with each word
    assert "<td>12.2</td>" in rows[1][1] or "<td>12.3</td>" in rows[1][1]
    assert "<td>17432</td>" in rows[2][1] and "<td>budget</td>" in rows[2][1]
    assert "<script>" not in page.text and "&lt;script&gt;x()&lt;/script&gt;" in page.text
    assert "66.7 %</span> (2 of 3 instances)" in page.text


def test_an_operator_sees_the_runs_too(dashboard, tmp_path):
    from cli.eval_publish import publish_run
    from tests.fixtures.control_plane import API_KEY

    publish_run(dashboard.settings, _run(tmp_path, "m", _results(), 1_796_300_000.0))
    login = dashboard.post("/dashboard/sign-in/api-key", None, {"api_key": API_KEY})
    operator = login.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    assert "66.7 %" in dashboard.get(RUNS, operator).text


def test_nothing_published_says_so_and_an_unknown_run_is_not_found(dashboard):
    session = dashboard.sign_in("alice")
    empty = dashboard.get(RUNS, session)
    assert empty.status_code == 200 and 'data-empty="none"' in empty.text
    assert "No eval results published yet" in empty.text
    for ident in ("20261204T212000Z-nothing-here", "not-a-run", "...", "a%20b"):
        missing = dashboard.get(f"{RUNS}/{ident}", session)
        assert missing.status_code == 404 and "no such eval run" in missing.text
    assert dashboard.get(f"{RUNS}/..%2Fsecret", session).status_code == 404  # no route at all
    assert dashboard.get(RUNS, follow_redirects=False).status_code == 303  # signed in only


def test_with_no_reports_bucket_the_page_says_none_are_published(dashboard, app_private_key):
    from handlers.http_app import Services, create_app
    from tests.fixtures.control_plane import serve
    from tests.fixtures.dashboard import Dashboard, dashboard_environ

    settings = dashboard.settings.with_overrides(reports_bucket=None)
    services = Services.build(settings, dashboard_environ(app_private_key))
    url, stop = serve(create_app(services))
    try:
        bare = Dashboard(url, settings, services, dashboard.github)
        page = bare.get(RUNS, bare.sign_in("alice"))
        assert page.status_code == 200 and 'data-empty="no-bucket"' in page.text
        assert "No eval results published" in page.text
    finally:
        stop()


def test_a_stored_run_with_bad_lines_shows_the_good_ones_and_names_the_rest(dashboard):
    from bzzz import aws

    s3, bucket = aws.client("s3", dashboard.settings), dashboard.settings.reports_bucket
    folder = "eval/20261204T212000Z-edited/"
    good = b'{"instance_id": "a__b-1", "resolved": true, "outcome": "finished", "seconds": 1}'
    lines = [good, b"{not json", b'{"instance_id": "a__b-2", "resolved": "yes"}', b"[1, 2]"]
    s3.put_object(Bucket=bucket, Key=folder + "results.jsonl", Body=b"\n".join(lines) + b"\n")
    s3.put_object(Bucket=bucket, Key=folder + "summary.json",
                  Body=b'{"model": "m\\u001b[31m", "instances": 1, "resolved": 7}')  # fmt: skip
    session = dashboard.sign_in("alice")
    page = dashboard.get(f"{RUNS}/20261204T212000Z-edited", session)
    assert page.status_code == 200
    assert 'data-instance="a__b-1"' in page.text and "a__b-2" not in page.text
    assert "3 lines of results.jsonl skipped" in page.text
    assert "line 3: resolved is not true or false" in page.text
    assert "summary.json unreadable: more resolved than instances" in page.text
    listing = dashboard.get(RUNS, session).text
    assert "summary.json unreadable" in listing and "\x1b" not in listing


def test_the_publish_command_uploads_a_run_and_refuses_what_bzzz_eval_did_not_write(
    aws_environ, aws_settings, tmp_path, capsys, monkeypatch
):
    from bzzz.config import get_settings
    from bzzz.eval_reports import latest
    from cli.main import main

    out = _run(tmp_path / "run", "scripted-gold", _results(), 1_796_300_000.0)
    assert main(["eval-publish", str(out)]) == 0
    assert "eval/20261203T121320Z-scripted-gold/" in capsys.readouterr().out
    [run] = latest(aws_settings)
    assert (run.run_id, run.model, run.resolved, run.instances) == (
        "20261203T121320Z-scripted-gold", "scripted-gold", 2, 3,
    )  # fmt: skip
    (out / "results.jsonl").write_text("{}\n")
    assert main(["eval-publish", str(out)]) == 2
    assert "not a finished `bzzz eval` run" in capsys.readouterr().err
    monkeypatch.delenv("BZZZ_REPORTS_BUCKET")
    get_settings.cache_clear()
    assert main(["eval-publish", str(tmp_path / "run")]) == 2
    assert "BZZZ_REPORTS_BUCKET is not set" in capsys.readouterr().err
    assert len(latest(aws_settings)) == 1
