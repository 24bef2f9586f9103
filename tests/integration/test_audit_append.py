"""Appending on real local DynamoDB: concurrent writers, the lifecycle hook, key publishing."""

from __future__ import annotations

import itertools
import threading

import pytest

from bzzz import aws
from bzzz.audit import (
    GENESIS,
    AuditDataError,
    AuditLog,
    Signer,
    audit_listener,
    audit_view,
    publish_public_key,
    verify_stream,
)
from bzzz.audit.store import AuditStore
from bzzz.secrets import SecretStore
from bzzz.tasks.lifecycle import Lifecycle
from tests.fixtures.aws import unique_stack_name

WRITERS = 20
PER_WRITER = 5


def test_concurrent_appenders_leave_one_gapless_verified_stream(dynamodb_backend):
    """On both backends. moto's own server checks a write's condition and then stores
    the item without a lock (two writers once both "won" a seq in 30 runs of 100
    appends); our launcher, infra/local_backend/moto_server.py, serializes DynamoDB
    requests so that moto applies conditions atomically, as DynamoDB does.

    Seqs come from the stream's counter, so every writer gets its own: 1..100 without
    gaps; each entry links to an earlier one (bzzz.audit.log), each writer's entries
    form a chain of their own.
    """
    backend = dynamodb_backend
    # Concurrent writers of one stream are control-plane invocations (one key, many
    # processes): only the control plane writes to a stream without holding its lease.
    control = Signer.generate("control-plane")
    dynamodb_settings = backend.settings(backend.provision(unique_stack_name()))
    dynamodb_settings = dynamodb_settings.with_overrides(audit_public_key=control.public_key)
    stream = "octo/race#1"
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        log = AuditLog(dynamodb_settings, control)
        barrier.wait()
        try:
            for n in range(PER_WRITER):
                log.append(stream, "command.run", {"command": f"step {n}", "writer": writer})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    entries = AuditStore(dynamodb_settings).stream(stream)
    assert [entry.seq for entry in entries] == list(range(1, WRITERS * PER_WRITER + 1))
    assert entries[0].prev_hash == GENESIS
    seq_of = {entry.hash: entry.seq for entry in entries}
    assert all(
        entry.prev_hash == GENESIS or seq_of[entry.prev_hash] < entry.seq for entry in entries
    )
    for writer in range(WRITERS):
        own = [entry for entry in entries if entry.data["writer"] == writer]
        assert all(seq_of.get(b.prev_hash, 0) >= a.seq for a, b in itertools.pairwise(own))
    by_writer = dict.fromkeys(range(WRITERS), 0)
    for entry in entries:
        by_writer[entry.data["writer"]] += 1
    assert set(by_writer.values()) == {PER_WRITER}
    head = AuditStore(dynamodb_settings).read(stream)[1]
    assert head is not None and (head.seq, head.hash) == (entries[-1].seq, entries[-1].hash)
    report = verify_stream(dynamodb_settings, stream)
    assert report.ok, report.finding
    assert report.entries == WRITERS * PER_WRITER


def test_lifecycle_transitions_through_the_listener_verify(aws_settings):
    control = Signer.generate("control-plane")
    runner = Signer.generate("agent-a")
    secrets = SecretStore(aws_settings, {"BZZZ_AUDIT_SIGNING_KEY": control.pem().decode()})
    publish_public_key(aws_settings, runner)  # the control plane's key is pinned from the secret
    plane = Lifecycle(aws_settings, listeners=[audit_listener(AuditLog(aws_settings, control))])
    agent = Lifecycle(aws_settings, listeners=[audit_listener(AuditLog(aws_settings, runner))])

    key = plane.create("octo/repo", 7, "issue 7")[0].key
    agent.claim(key, "agent-a")
    agent.start(key, "agent-a")
    agent.escalate(key, "agent-a", "which database?")
    plane.resume(key, "a human answered")
    agent.claim(key, "agent-a")
    agent.start(key, "agent-a")
    agent.heartbeat(key, "agent-a")  # emits nothing, so no entry
    agent.complete(key, "agent-a", "https://github.com/octo/repo/pull/8", "bzzz/7")

    view = audit_view(aws_settings, key, secrets=secrets)
    assert view["verified"], view["finding"]
    types = [(entry["type"], entry["author"]) for entry in view["entries"]]
    assert types == [
        ("task.create", "control-plane"),
        ("task.claim", "agent-a"),
        ("task.start", "agent-a"),
        ("task.escalate", "agent-a"),
        ("task.resume", "control-plane"),
        ("task.claim", "agent-a"),
        ("task.start", "agent-a"),
        ("task.complete", "agent-a"),
    ]
    last = view["entries"][-1]["data"]
    assert last["state"] == "completed"
    assert last["pr_url"] == "https://github.com/octo/repo/pull/8"
    assert last["version"] == plane.get(key).version
    assert view["entries"][3]["data"]["reason"] == "which database?"

    # Without the secret, the control plane's entries have no key to check against...
    assert (
        audit_view(aws_settings, key, secrets=SecretStore(aws_settings, {}))["finding"]["problem"]
        == "unknown key"
    )
    # ...until its public key is pinned, as a deployment pins it (BZZZ_AUDIT_PUBLIC_KEY).
    pinned = aws_settings.with_overrides(audit_public_key=control.public_key)
    assert verify_stream(pinned, key, secrets=SecretStore(aws_settings, {})).ok


def test_bad_data_and_types_are_refused_before_any_write(aws_settings):
    log = AuditLog(aws_settings, Signer.generate("agent-e"))
    with pytest.raises(AuditDataError, match="floats"):
        log.append("octo/bad#1", "command.run", {"duration": 1.5})
    with pytest.raises(AuditDataError, match="dotted"):
        log.append("octo/bad#1", "Run", {})
    assert AuditStore(aws_settings).stream("octo/bad#1") == []


def test_a_retried_write_that_finds_its_own_entry_is_a_success(aws_settings):
    """What the SDK does when a PutItem's reply is lost: the retry finds our entry."""
    log = AuditLog(aws_settings, Signer.generate("agent-f"))
    entry = log.append("octo/retry#1", "git.push", {"branch": "b"})
    store = AuditStore(aws_settings)
    assert store.put_new(entry) is None
    rival = AuditLog(aws_settings, Signer.generate("agent-g"))._chain(
        "octo/retry#1", "git.push", {"branch": "c"}, 1, GENESIS
    )
    assert store.put_new(rival) == entry  # a real lost race names the winner
    assert len(store.stream("octo/retry#1")) == 1


def _head_item(settings, stream: str) -> dict:
    reply = aws.client("dynamodb", settings).get_item(
        TableName=settings.audit_table,
        Key={"stream": {"S": stream}, "seq": {"N": "0"}},
        ConsistentRead=True,
    )
    return reply["Item"]


def test_a_counter_reset_by_hand_never_overwrites_an_entry(aws_settings):
    """Someone sets next_seq back to 0: the next append finds seq 1 taken, raises the
    counter past the tail and writes seq 4; nothing is overwritten, the stream verifies."""
    signer = Signer.generate("control-plane")
    settings = aws_settings.with_overrides(audit_public_key=signer.public_key)
    stream = "octo/counter#1"
    for n in range(3):
        AuditLog(settings, signer).append(stream, "command.run", {"n": n})
    before = AuditStore(settings).stream(stream)
    db = aws.client("dynamodb", settings)
    db.update_item(
        TableName=settings.audit_table,
        Key={"stream": {"S": stream}, "seq": {"N": "0"}},
        UpdateExpression="SET next_seq = :z",
        ExpressionAttributeValues={":z": {"N": "0"}},
    )
    appended = AuditLog(settings, signer).append(stream, "command.run", {"n": 3})
    after = AuditStore(settings).stream(stream)
    assert appended.seq == 4 and after[:3] == before and after[3] == appended
    assert _head_item(settings, stream)["next_seq"] == {"N": "4"}
    assert verify_stream(settings, stream).ok


def test_a_stream_from_before_the_counter_is_continued(aws_settings):
    """Streams written by the earlier appender have a head item without next_seq."""
    signer = Signer.generate("control-plane")
    settings = aws_settings.with_overrides(audit_public_key=signer.public_key)
    stream = "octo/legacy#1"
    log = AuditLog(settings, signer)
    for n in range(2):
        log.append(stream, "command.run", {"n": n})
    item = _head_item(settings, stream)
    del item["next_seq"]
    aws.client("dynamodb", settings).put_item(TableName=settings.audit_table, Item=item)
    appended = AuditLog(settings, signer).append(stream, "command.run", {"n": 2})
    assert appended.seq == 3
    entries = AuditStore(settings).stream(stream)
    assert appended.prev_hash == entries[1].hash  # the head it found was entry 2
    report = verify_stream(settings, stream)
    assert report.ok and report.entries == 3, report.finding


def test_writers_taking_turns_still_form_one_plain_chain(aws_settings):
    """Two logs with stale views of the stream (each knows only its own last entry):
    the head the counter returns is the newest entry, so each links to seq n - 1."""
    signer = Signer.generate("control-plane")
    settings = aws_settings.with_overrides(audit_public_key=signer.public_key)
    stream = "octo/turns#1"
    first, second = AuditLog(settings, signer), AuditLog(settings, signer)
    for n in range(3):
        first.append(stream, "command.run", {"n": n, "by": 1})
        second.append(stream, "command.run", {"n": n, "by": 2})
    entries = AuditStore(settings).stream(stream)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


def test_a_writer_following_its_own_entry_appends_in_two_requests(aws_settings):
    """A runner through its task: after its first entry (the counter's seq, three round
    trips) each append takes the next seq itself and moves the head and the counter in one
    update: two round trips. Another writer's counter seq then comes after them."""
    signer = Signer.generate("control-plane")
    settings = aws_settings.with_overrides(audit_public_key=signer.public_key)
    stream = "octo/sole#1"
    db = aws.client("dynamodb", settings)
    sent: list[str] = []
    db.meta.events.register("before-send.dynamodb.*", lambda event_name, **_: sent.append(
        event_name.rsplit(".", 1)[1]))  # fmt: skip
    log = AuditLog(settings, signer, dynamodb=db)
    per_append = []
    for n in range(4):
        before = len(sent)
        log.append(stream, "command.run", {"n": n})
        per_append.append(sent[before:])
    assert per_append[0] == ["UpdateItem", "PutItem", "UpdateItem"]
    assert per_append[1:] == [["PutItem", "UpdateItem"]] * 3
    head = _head_item(settings, stream)
    assert (head["head_seq"], head["next_seq"]) == ({"N": "4"}, {"N": "4"})
    other = AuditLog(settings, signer).append(stream, "command.run", {"n": "other"})
    assert other.seq == 5 and other.prev_hash == AuditStore(settings).stream(stream)[3].hash
    report = verify_stream(settings, stream)
    assert report.ok and report.entries == 5, report.finding


def test_a_fresh_streams_first_entry_is_two_requests_and_a_used_one_is_continued(aws_settings):
    """`fresh` (a task just created): seq 1 is tried without the counter. On a stream
    with entries already it is refused, and the append goes on through the counter."""
    signer = Signer.generate("control-plane")
    settings = aws_settings.with_overrides(audit_public_key=signer.public_key)
    db = aws.client("dynamodb", settings)
    sent: list[str] = []
    db.meta.events.register("before-send.dynamodb.*", lambda event_name, **_: sent.append(
        event_name.rsplit(".", 1)[1]))  # fmt: skip
    first = AuditLog(settings, signer, dynamodb=db).append("octo/new#1", "task.create", fresh=True)
    assert sent == ["PutItem", "UpdateItem"] and (first.seq, first.prev_hash) == (1, GENESIS)
    head = _head_item(settings, "octo/new#1")
    assert (head["head_seq"], head["next_seq"]) == ({"N": "1"}, {"N": "1"})
    AuditLog(settings, signer).append("octo/new#1", "task.claim")  # the counter's seq 2

    sent.clear()
    again = AuditLog(settings, signer, dynamodb=db).append("octo/new#1", "task.create", fresh=True)
    assert sent == ["PutItem", "UpdateItem", "PutItem", "UpdateItem"]  # refused, then as ever
    assert again.seq == 3 and again.prev_hash == AuditStore(settings).stream("octo/new#1")[1].hash
    report = verify_stream(settings, "octo/new#1")
    assert report.ok and report.entries == 3, report.finding
