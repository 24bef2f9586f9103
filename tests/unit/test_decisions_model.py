"""Decision records' model, in process: addresses, the recipients file, the schema, the binding."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bzzz import schemas
from bzzz.audit.store import Entry
from bzzz.decisions import (
    Address,
    AddressError,
    BindingError,
    DecisionRecord,
    RecipientsError,
    RecordError,
    generate_identity,
    load_recipients,
    parse_address,
    recipient_of,
)
from bzzz.decisions.binding import binding_in
from bzzz.decisions.record import AuditPoint, Diff, Outcome, Times, digest

ADMIN = recipient_of(generate_identity())
KEY_A, KEY_B = recipient_of(generate_identity()), recipient_of(generate_identity())


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("bzzz://acme/widgets/7/2", Address("acme/widgets", 7, 2)),
        ("bzzz://Acme/my.repo_x/12/round-3/1", Address("Acme/my.repo_x", 12, 1, 3)),
    ],
)
def test_addresses_parse_and_print_back(text: str, address: Address) -> None:
    assert parse_address(text) == address
    assert str(address) == text
    assert address.object_key == "records/" + text.removeprefix("bzzz://") + ".age"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("s3://acme/widgets/7/2", "address"),
        ("bzzz://acme/widgets/7", "address"),
        ("bzzz://acme/../7/2", "repo"),
        ("bzzz://acme/widgets/07/2", "issue"),
        ("bzzz://acme/widgets/7/0", "attempt"),
        ("bzzz://acme/widgets/7/round-x/1", "round"),
        ("bzzz://-acme/widgets/7/1", "repo"),
    ],
)
def test_a_bad_address_names_its_bad_part(text: str, field: str) -> None:
    with pytest.raises(AddressError) as caught:
        parse_address(text)
    assert caught.value.field == field


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipients.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_readers_are_the_admin_and_the_owners_roles(tmp_path: Path) -> None:
    text = (f"admin: {ADMIN}\nowners:\n  ACME:\n    maintainers: [{KEY_A}, {KEY_B}]\n"
            f"    security: {KEY_B}\n  '*':\n    operators: [{KEY_A}]\n")  # fmt: skip
    path = _write(tmp_path, text)
    recipients = load_recipients(path)
    acme = recipients.readers("acme/widgets")
    assert acme.role_names == ["maintainers", "security"]
    assert acme.recipients == [ADMIN, KEY_A, KEY_B]  # each key once
    other = recipients.readers("someone/else")
    assert other.role_names == ["operators"] and other.recipients == [ADMIN, KEY_A]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("owners: {}\n", "admin"),
        (f"admin: {ADMIN}\nowners:\n  acme:\n    security: [{KEY_A}, age1nope]\n",
         "owners.acme.security[1]"),
        (f"admin: {ADMIN}\nowners:\n  acme:\n    auditors: [{KEY_A}]\n", "owners.acme.auditors"),
        ("admin: AGE-SECRET-KEY-1QQQQ\n", "admin"),
        (f"admin: {ADMIN}\nowners:\n  acme: [{KEY_A}]\n", "owners.acme"),
        (f"admin: {ADMIN}\nowners:\n  acme: {{}}\n  Acme: {{}}\n", "owners.Acme"),
        (f"admin: {ADMIN}\nreaders: []\n", "readers"),
        ("- just a list\n", "$"),
        ("admin: [unclosed\n", "BZZZ_DECISION_RECIPIENTS"),
    ],
)  # fmt: skip
def test_a_bad_recipients_file_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(RecipientsError) as caught:
        load_recipients(_write(tmp_path, text))
    assert caught.value.field == field
    assert "AGE-SECRET-KEY" not in str(caught.value)  # a pasted secret is never echoed


def test_a_missing_recipients_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RecipientsError) as caught:
        load_recipients(tmp_path / "absent.yml")
    assert caught.value.field == "BZZZ_DECISION_RECIPIENTS"


def record(**changes: object) -> DecisionRecord:
    base = DecisionRecord(
        address="bzzz://acme/widgets/7/1", task="acme/widgets#7", attempt=1, round=0,
        runner="runner-1", outcome=Outcome("completed", "finished", pr_url="http://x/pull/1"),
        summary="fixed it", plan="1. read 2. fix", hmmm=(), commands=(),
        diff=Diff("--- a\n+++ b\n", False), tokens=1234, times=Times(1.5, 9.25, 7.0),
        audit=AuditPoint("acme/widgets#7", 2, "ab" * 32), written_at=10.0,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_the_record_and_its_schema_agree() -> None:
    properties = set(schemas.load("decision-record.json")["properties"])
    assert {f.name for f in dataclasses.fields(DecisionRecord)} == properties
    plain = record().to_bytes()
    assert DecisionRecord.from_bytes(plain) == record()
    assert record().to_bytes() == plain  # the same record, the same bytes (and digest)


def test_a_record_breaking_the_schema_is_never_written_or_read() -> None:
    with pytest.raises(RecordError) as caught:
        record(summary="x" * 20_001).to_bytes()
    assert caught.value.field == "$.summary"
    with pytest.raises(RecordError) as caught:
        DecisionRecord.from_bytes(b'{"schema": "bzzz.decision/v1"}')
    with pytest.raises(RecordError):
        DecisionRecord.from_bytes(b"\xff not json")


def entry(seq: int, type: str = "task.start", author: str = "runner-1", **data: object) -> Entry:
    return Entry("acme/widgets#7", seq, 0, author, type, dict(data), "p", f"{seq:02d}" * 32, "s")


def test_the_binding_needs_the_entry_and_the_signed_digest() -> None:
    rec = record(audit=AuditPoint("acme/widgets#7", 2, entry(2).hash))
    plain = rec.to_bytes()
    signed = entry(3, "decision.recorded", address=rec.address,
                   record_sha256=digest(plain), bound_seq=2)  # fmt: skip
    assert binding_in(rec, plain, [entry(1), entry(2), signed]).recorded_seq == 3
    cases = {
        "the stream has no decision.recorded": [entry(1), entry(2)],
        "not the stream's entry": [entry(1), dataclasses.replace(entry(2), hash="f" * 64), signed],
        "does not hold": [entry(1)],
        "not the record the runner signed": [
            entry(1), entry(2), dataclasses.replace(signed, data={**signed.data,
                                                                 "record_sha256": "0" * 64})],
        "an older record put back": [
            entry(1), entry(2), signed, dataclasses.replace(
                signed, seq=4, data={**signed.data, "record_sha256": "0" * 64})],
        "not the record's runner": [entry(1), entry(2), dataclasses.replace(signed, author="x")],
    }  # fmt: skip
    for why, entries in cases.items():
        with pytest.raises(BindingError, match=why):
            binding_in(rec, plain, entries)
