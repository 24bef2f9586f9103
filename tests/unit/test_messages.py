"""The envelope's dataclass and its JSON Schema describe the same wire contract."""

import dataclasses
import json

import pytest

from bzzz import schemas
from bzzz.errors import MessageError
from bzzz.messages import Envelope, MessageType


def _valid(**changes):
    raw = Envelope(
        type=MessageType.TASK_CLAIMED,
        sender="agent-1",
        task="octo/repo#7",
        data={"state": "claimed", "repo": "octo/repo", "number": 7, "attempt": 1, "version": 2},
    ).as_dict()
    raw.update(changes)
    return raw


def test_dataclass_fields_match_schema_properties():
    schema = schemas.load("envelope.json")
    fields = {f.name for f in dataclasses.fields(Envelope)}
    assert fields == set(schema["properties"])
    assert fields == set(schema["required"])


def test_message_types_match_schema_enum():
    schema = schemas.load("envelope.json")
    assert {str(t) for t in MessageType} == set(schema["properties"]["type"]["enum"])


def test_round_trip_keeps_everything():
    envelope = Envelope.from_dict(_valid())
    assert Envelope.from_json(envelope.to_json()) == envelope


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (_valid(schema="bzzz.message/v2"), "$.schema", "bzzz.message/v1"),
        (_valid(id="not-hex"), "$.id", "does not match"),
        (_valid(type="task.exploded"), "$.type", "is not one of"),
        (_valid(sender=""), "$.sender", "should be non-empty"),
        (_valid(sent_at="yesterday"), "$.sent_at", "does not match"),
        (_valid(task="octo/repo"), "$.task", "does not match"),
        (_valid(task="octo/repo#0"), "$.task", "does not match"),
        (_valid(data=[]), "$.data", "is not of type 'object'"),
        (_valid(data={"state": "claimed"}), "$.data", "required property"),
        (
            _valid(data={"state": "lost", "repo": "o/r", "number": 1, "attempt": 1, "version": 1}),
            "$.data.state",
            "is not one of",
        ),
        (_valid(extra=1), "$", "Additional properties"),
        ({k: v for k, v in _valid().items() if k != "sender"}, "$", "'sender' is a required"),
    ],
)
def test_malformed_envelope_names_the_field(raw, field, words):
    with pytest.raises(MessageError) as caught:
        Envelope.from_dict(raw)
    assert caught.value.field == field
    assert words in caught.value.problem


def test_type_specific_payloads_are_enforced():
    data = {"state": "completed", "repo": "o/r", "number": 1, "attempt": 1, "version": 3}
    with pytest.raises(MessageError) as caught:
        Envelope(MessageType.TASK_COMPLETED, "a", "o/r#1", data).to_json()
    assert "pr_url" in caught.value.problem
    Envelope(
        MessageType.TASK_COMPLETED, "a", "o/r#1", {**data, "pr_url": "http://x/pull/1"}
    ).to_json()


def test_not_json_is_refused_at_the_root():
    with pytest.raises(MessageError) as caught:
        Envelope.from_json(b"{nope")
    assert caught.value.field == "$"


def test_schemas_are_valid_json_schema():
    from jsonschema import Draft202012Validator

    for name in schemas.schema_names():
        Draft202012Validator.check_schema(schemas.load(name))
        json.dumps(schemas.load(name))
