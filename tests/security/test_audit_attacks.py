"""The audit log's attack table: a registered runner, or someone with write access to the
table, rewrites history. Each row is done directly on a real local DynamoDB (moto
server) and must be named by `verify` at the right seq, with the right problem.

The attacker in most rows is `agent-2`: a runner whose key is properly registered
(it can sign as itself), which never held this task's lease. The victim stream is a
task `agent-1` claimed and worked on. The verifier is the control plane's (it holds the
signing secret), except where a row says otherwise: an operator's or a runner's, which
holds only what a deployment publishes, the pinned public key (BZZZ_AUDIT_PUBLIC_KEY).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bzzz import aws
from bzzz.audit import (
    KEYS_STREAM,
    AuditKeyError,
    AuditLog,
    Signer,
    entry_hash,
    publish_public_key,
    verify_stream,
)
from bzzz.audit.store import Entry, from_item, to_item
from bzzz.config import load_settings
from bzzz.secrets import SecretStore
from tests.fixtures.aws import unique_stack_name

_numbers = itertools.count(1)
NO_SECRETS: dict[str, str] = {}


class Table:
    """The stack under attack, and the raw DynamoDB access an attacker has."""

    def __init__(self, env: dict[str, str]) -> None:
        self.control = Signer.generate("control-plane")
        # The verifier's view: the public key published at deploy, not the secret.
        self.settings = load_settings({**env, "BZZZ_AUDIT_PUBLIC_KEY": self.control.public_key})
        self.db = aws.client("dynamodb", self.settings)
        self.owner, self.rogue = Signer.generate("agent-1"), Signer.generate("agent-2")
        publish_public_key(self.settings, self.owner)
        publish_public_key(self.settings, self.rogue)

    def task(self) -> str:
        """A task agent-1 claimed and worked on: create, claim, start, a command, a push, PR."""
        key = f"octo/attacked#{next(_numbers)}"
        control, owner = AuditLog(self.settings, self.control), AuditLog(self.settings, self.owner)
        lease = {"attempt": 1, "lease_owner": "agent-1"}
        control.append(key, "task.create", {"state": "queued", "attempt": 1, "version": 1})
        owner.append(key, "task.claim", {"state": "claimed", "version": 2, **lease})
        owner.append(key, "task.start", {"state": "running", "version": 3, **lease})
        owner.append(key, "command.run", {"command": "pytest -q", "exit_code": 0})
        owner.append(key, "git.push", {"branch": "bzzz/1", "commit": "abc"})
        owner.append(key, "pr.opened", {"url": "https://github.com/octo/attacked/pull/2"})
        return key

    def verify(self, stream: str, *, with_secret: bool = True) -> Any:
        secret = {"BZZZ_AUDIT_SIGNING_KEY": self.control.pem().decode()}
        secrets = SecretStore(self.settings, secret if with_secret else NO_SECRETS)
        return verify_stream(self.settings, stream, secrets=secrets)

    def item(self, stream: str, seq: int) -> dict[str, Any]:
        key = {"stream": {"S": stream}, "seq": {"N": str(seq)}}
        return self.db.get_item(TableName=self.settings.audit_table, Key=key)["Item"]

    def put(self, item: dict[str, Any]) -> None:
        self.db.put_item(TableName=self.settings.audit_table, Item=item)

    def delete(self, stream: str, seq: int) -> None:
        key = {"stream": {"S": stream}, "seq": {"N": str(seq)}}
        self.db.delete_item(TableName=self.settings.audit_table, Key=key)


def signed(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    digest = entry_hash(body)
    return to_item(Entry(**body, hash=digest, signature=signer.sign(digest)))


def rechain(table: Table, stream: str, bodies: list[dict[str, Any]], signer: Signer) -> None:
    """Write `bodies` as consecutive entries after their predecessor, re-hashed and signed."""
    prev = from_item(table.item(stream, bodies[0]["seq"] - 1)).hash
    for body in bodies:
        item = signed({**body, "prev_hash": prev, "author": signer.author}, signer)
        table.put(item)
        prev = item["hash"]["S"]


# ----- the attacks ----------------------------------------------------------------------


def impersonate_control_plane(table: Table, stream: str) -> None:
    """A runner registers its own key as `control-plane` (first, before any deploy could)
    and appends a cancellation in its name."""
    impostor = Signer.generate("control-plane")
    AuditLog(table.settings, impostor).append(KEYS_STREAM, "key.registered",
                                              {"public_key": impostor.public_key})  # fmt: skip
    AuditLog(table.settings, impostor).append(stream, "task.cancel", {"state": "cancelled"})


def write_without_the_lease(table: Table, stream: str) -> None:
    AuditLog(table.settings, table.rogue).append(stream, "command.run", {"command": "rm -rf /"})


def claim_a_held_lease(table: Table, stream: str) -> None:
    claim = {"state": "claimed", "attempt": 1, "lease_owner": "agent-2"}
    AuditLog(table.settings, table.rogue).append(stream, "task.claim", claim)


def write_a_control_plane_entry(table: Table, stream: str) -> None:
    """The lease holder itself records a human's approval that never came."""
    data = {"login": "octocat", "body_sha256": "sha256:00"}
    AuditLog(table.settings, table.owner).append(stream, "human.input", data)


def drop_the_tail(table: Table, stream: str) -> None:
    table.delete(stream, 6)  # the PR nobody should know about


def drop_the_tail_and_the_head(table: Table, stream: str) -> None:
    table.delete(stream, 6)
    table.delete(stream, 0)


def drop_the_tail_and_re_sign_the_head(table: Table, stream: str) -> None:
    """agent-2 cuts seq 6 and writes a head for seq 5 with its own key."""
    from bzzz.audit.head import Head, head_digest, to_head_item

    five = from_item(table.item(stream, 5))
    signature = table.rogue.sign(head_digest(stream, 5, five.hash))
    table.put(to_head_item(Head(stream, 5, five.hash, five.author, signature)))
    table.delete(stream, 6)


def edit_the_last_entry_re_signed(table: Table, stream: str) -> None:
    """agent-2 points the PR elsewhere and signs the entry as itself (its key is valid)."""
    six = from_item(table.item(stream, 6))
    body = {**six.body(), "data": {"url": "https://evil.example/pull/1"}}
    rechain(table, stream, [body], table.rogue)


def reorder_the_tail_re_signed(table: Table, stream: str) -> None:
    """agent-2 swaps the push and the command, re-links and re-signs both as itself."""
    four, five = from_item(table.item(stream, 4)), from_item(table.item(stream, 5))
    rest = [from_item(table.item(stream, 6)).body()]
    bodies = [{**five.body(), "seq": 4}, {**four.body(), "seq": 5}, *rest]
    rechain(table, stream, bodies, table.rogue)


def edit_an_entry(table: Table, stream: str) -> None:
    item = table.item(stream, 4)
    item["data"] = {"S": '{"command":"pytest -q","exit_code":1}'}
    table.put(item)


def reorder_entries(table: Table, stream: str) -> None:
    four, five = table.item(stream, 4), table.item(stream, 5)
    four["seq"], five["seq"] = five["seq"], four["seq"]
    table.put(four)
    table.put(five)


@dataclass(frozen=True)
class Attack:
    name: str
    attack: Callable[[Table, str], None]
    seq: str  # where verify must name it
    problem: str
    reason: str  # a part of the reason
    with_secret: bool = True  # False: the verifier knows the control plane's public key only


ATTACKS = [
    Attack("runner signs as control-plane", impersonate_control_plane, "7", "bad signature",
           "'control-plane'", with_secret=False),
    Attack("entry by a runner without the lease", write_without_the_lease, "7",
           "not the lease holder", "'agent-2' did not hold the lease"),
    Attack("claim of a lease another runner holds", claim_a_held_lease, "7",
           "not the lease holder", "'agent-1' holds"),
    Attack("runner writes a control-plane entry", write_a_control_plane_entry, "7",
           "not the lease holder", "only the control plane writes human.input"),
    Attack("dropped tail entry", drop_the_tail, "6", "truncated", "seq 6 cut off"),
    Attack("dropped tail entry and head", drop_the_tail_and_the_head, "5", "truncated",
           "no signed head"),
    Attack("dropped tail, head re-signed", drop_the_tail_and_re_sign_the_head, "5",
           "head mismatch", "not by 'agent-1'"),
    Attack("edited last entry, re-signed", edit_the_last_entry_re_signed, "6",
           "not the lease holder", "'agent-2' did not hold the lease"),
    Attack("re-ordered tail, re-signed", reorder_the_tail_re_signed, "4",
           "not the lease holder", "'agent-2' did not hold the lease"),
    Attack("edited entry", edit_an_entry, "4", "changed", "a field was altered"),
    Attack("re-ordered entries", reorder_entries, "4", "reordered", "written as seq 5"),
]  # fmt: skip


@pytest.fixture(scope="module")
def table(local_aws) -> Table:
    return Table(local_aws.provision(unique_stack_name()))


def test_the_untouched_task_verifies(table: Table) -> None:
    stream = table.task()
    report = table.verify(stream)
    assert report.ok, report.finding
    assert report.entries == 6
    # A verifier without the secret checks the control plane's entries by the pinned key.
    assert table.verify(stream, with_secret=False).ok


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_the_attack_is_named_at_its_seq(table: Table, attack: Attack) -> None:
    stream = table.task()
    attack.attack(table, stream)
    finding = table.verify(stream, with_secret=attack.with_secret).finding
    assert finding is not None, f"{attack.name}: went undetected"
    assert (finding.seq, str(finding.problem)) == (attack.seq, attack.problem), finding
    assert attack.reason in finding.reason, finding


def test_a_control_plane_registration_is_reported_in_the_keys_stream(table: Table) -> None:
    impersonate_control_plane(table, table.task())
    finding = table.verify(KEYS_STREAM, with_secret=False).finding
    assert finding is not None
    assert (str(finding.problem), "'control-plane' is reserved") == (
        "reserved name",
        finding.reason.split(";")[0],
    )


def test_no_one_may_publish_a_key_or_register_as_control_plane(table: Table) -> None:
    from runner.errors import RunnerStartError
    from runner.registration import Registration

    with pytest.raises(AuditKeyError, match="reserved"):
        publish_public_key(table.settings, Signer.generate("control-plane"))
    with pytest.raises(RunnerStartError, match="reserved for the control plane"):
        Registration("control-plane", capabilities=[], models=[], capacity=1,
                     heartbeat_seconds=10)  # fmt: skip
