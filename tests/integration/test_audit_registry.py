"""The key registry on a real local DynamoDB: publishing, agents rows, the keys stream."""

from __future__ import annotations

import pytest

from bzzz import aws
from bzzz.audit import (
    KEYS_STREAM,
    AuditKeyError,
    AuditLog,
    Problem,
    Signer,
    entry_hash,
    publish_public_key,
    verify_all,
    verify_stream,
)
from bzzz.audit.store import AuditStore, Entry, from_item, to_item


def test_publishing_is_idempotent_and_refuses_a_second_key(aws_settings):
    runner = Signer.generate("agent-b")
    db = aws.client("dynamodb", aws_settings)
    db.put_item(
        TableName=aws_settings.agents_table,
        Item={"agent_id": {"S": "agent-b"}, "last_seen": {"N": "1"}, "expires_at": {"N": "9"}},
    )
    publish_public_key(aws_settings, runner)
    publish_public_key(aws_settings, runner)
    assert len(AuditStore(aws_settings).stream(KEYS_STREAM)) == 1
    row = db.get_item(TableName=aws_settings.agents_table, Key={"agent_id": {"S": "agent-b"}})
    assert row["Item"]["public_key"]["S"] == runner.public_key
    with pytest.raises(AuditKeyError, match="new agent id"):
        publish_public_key(aws_settings, Signer.generate("agent-b"))
    # A runner without an agents row yet gets no half-made row.
    publish_public_key(aws_settings, Signer.generate("agent-c"))
    assert "Item" not in db.get_item(
        TableName=aws_settings.agents_table, Key={"agent_id": {"S": "agent-c"}}
    )
    assert all(report.ok for report in verify_all(aws_settings))


def test_agents_row_key_alone_is_trusted(aws_settings):
    runner = Signer.generate("agent-d")
    aws.client("dynamodb", aws_settings).put_item(
        TableName=aws_settings.agents_table,
        Item={
            "agent_id": {"S": "agent-d"},
            "public_key": {"S": runner.public_key},
            "last_seen": {"N": "1"},
            "expires_at": {"N": "9"},
        },
    )
    claim = {"state": "claimed", "attempt": 1, "lease_owner": "agent-d"}
    AuditLog(aws_settings, runner).append("octo/rows#1", "task.claim", claim)
    AuditLog(aws_settings, runner).append("octo/rows#1", "git.push", {"branch": "b"})
    assert verify_stream(aws_settings, "octo/rows#1").ok


def test_rewritten_key_registration_breaks_the_keys_stream(aws_settings):
    """A fresh stack: verify_all sees every stream, including the keys stream."""
    runner, other = Signer.generate("agent-1"), Signer.generate("agent-2")
    publish_public_key(aws_settings, runner)
    publish_public_key(aws_settings, other)
    claim = {"state": "claimed", "attempt": 1, "lease_owner": "agent-1"}
    AuditLog(aws_settings, runner).append("octo/keys#1", "task.claim", claim)
    assert all(report.ok for report in verify_all(aws_settings))

    # Re-key agent-1 in place: the entry is self-consistent, but agent-2's no longer links to it.
    db, table = aws.client("dynamodb", aws_settings), aws_settings.audit_table
    mallory = Signer.generate("agent-1")
    body = {**from_item(db.get_item(TableName=table, Key={
        "stream": {"S": KEYS_STREAM}, "seq": {"N": "1"}}, ConsistentRead=True)["Item"]).body(),
        "data": {"public_key": mallory.public_key}}  # fmt: skip
    digest = entry_hash(body)
    db.put_item(
        TableName=table, Item=to_item(Entry(**body, hash=digest, signature=mallory.sign(digest)))
    )

    reports = {report.stream: report for report in verify_all(aws_settings)}
    finding = reports[KEYS_STREAM].finding
    assert (finding.seq, finding.problem) == ("2", Problem.CHANGED)
    assert "re-linked" in finding.reason
    # agent-1's registration is before the break, so its forged key is what the registry holds,
    # and the genuine entry of agent-1 no longer verifies either.
    finding = reports["octo/keys#1"].finding
    assert (finding.seq, finding.problem) == ("1", Problem.BAD_SIGNATURE)
