"""The runner's side of decision records, in process: what it refuses to hold, when it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bzzz.config import Settings
from bzzz.decisions import generate_identity, recipient_of
from runner.config_checks import _decision_readers
from runner.errors import RunnerStartError
from runner.worker.decision import write_decision

SETTINGS = Settings("t", "a", "d", "r", "th", "au", "arn:aws:sns:us-east-1:1:t", "us-east-1",
                    decisions_bucket="b")  # fmt: skip


def test_a_runner_with_an_age_identity_in_its_environment_does_not_start() -> None:
    identity = generate_identity()
    with pytest.raises(RunnerStartError, match="BZZZ_SOMETHING holds an age identity") as caught:
        _decision_readers(SETTINGS, {"BZZZ_SOMETHING": identity.lower()})
    assert identity.lower() not in str(caught.value).lower()  # the secret is never echoed


def test_a_bad_recipients_file_stops_the_runner_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text(f"admin: {recipient_of(generate_identity())}\nowners:\n  acme:\n"
                    "    security: [age1bad]\n", encoding="utf-8")  # fmt: skip
    settings = SETTINGS.with_overrides(decision_recipients=str(path))
    with pytest.raises(RunnerStartError, match=r"owners\.acme\.security\[0\]"):
        _decision_readers(settings, {})
    path.write_text(f"admin: {recipient_of(generate_identity())}\n", encoding="utf-8")
    _decision_readers(settings, {})  # a good one passes


@pytest.mark.parametrize("result", ["released", "abandoned"])
def test_an_attempt_that_goes_on_elsewhere_writes_no_record(result: str) -> None:
    notes: list[str] = []
    settings = SETTINGS.with_overrides(decision_recipients="/nonexistent")
    written = write_decision(
        settings, key="o/r#1", attempt=1, round_number=0, runner="r1", result=result,
        events=[], note=lambda kind, data: notes.append(kind),
    )  # fmt: skip
    assert written is None and notes == []


def test_a_review_rounds_attempt_is_addressed_under_its_round() -> None:
    from bzzz.decisions.record import AuditPoint
    from runner.worker.decision import build_record

    events = [
        {"ts": 5.0, "event": "task"},
        {"ts": 6.0, "event": "outcome", "outcome": {"kind": "finished", "summary": "s",
                                                    "tokens": 9}},
        {"ts": 7.0, "event": "pushed", "branch": "bzzz/1-x", "commit": "c", "round": 2},
    ]  # fmt: skip
    record = build_record(
        key="o/r#1", attempt=1, round_number=2, runner="r1", result="completed",
        events=events, messages=[], audit=AuditPoint("o/r#1", 3, "a" * 64),
        pr_url="http://gh/o/r/pull/2",
    )  # fmt: skip
    assert record.address == "bzzz://o/r/1/round-2/1"
    assert record.outcome.pr_url == "http://gh/o/r/pull/2"
    assert (record.outcome.branch, record.tokens, record.times.started_at) == ("bzzz/1-x", 9, 5.0)
    record.to_bytes()  # and it is a valid record
