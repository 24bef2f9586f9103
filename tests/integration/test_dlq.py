"""`bzzz dlq list|redrive` on the local stack: every queue's dead letters with their reasons.

A malformed message on each consumed queue (work, status, escalation) is moved to
that queue's DLQ by its consumer's receive, with the schema error; a valid message
whose consumer keeps failing lands there through SQS's redrive policy. `list`
shows both with their reasons and leaves them in place; `redrive` moves the good
one back (exactly once) and keeps the malformed one.
"""

from __future__ import annotations

import json

import pytest

from bzzz import aws
from bzzz.bus import Bus
from bzzz.config import get_settings
from bzzz.dead_letters import DeadLetters
from bzzz.messages import Envelope, MessageType
from cli.main import main
from tests.fixtures.polling import receive_until, wait_until

QUEUES = ("work", "status", "escalation")


@pytest.fixture
def settings(aws_environ):
    get_settings.cache_clear()
    return get_settings()


def send_malformed(settings, queue: str) -> str:
    reply = aws.client("sqs", settings).send_message(
        QueueUrl=settings.queue_url(queue), MessageBody='{"schema": "bzzz.message/v1", "type": 7',
        MessageGroupId="octo/repo#9", MessageDeduplicationId=f"bad-{queue}",
    )  # fmt: skip
    return str(reply["MessageId"])


def available(number: int) -> Envelope:
    data = {"state": "queued", "repo": "octo/repo", "number": number, "attempt": 1, "version": 1}
    return Envelope(MessageType.TASK_AVAILABLE, "control-plane", f"octo/repo#{number}", data)


def dlq_json(capsys, *args: str) -> list[dict]:
    assert main(["dlq", "list", *args, "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_malformed_message_on_every_queue_is_listed_with_its_reason(settings, capsys):
    bus = Bus(settings)
    ids = {queue: send_malformed(settings, queue) for queue in QUEUES}
    for queue in QUEUES:  # each consumer's receive (runner, status sync, escalation) rejects it
        wait_until(lambda q=queue: ids[q] in bus._receive(q, 10, 1)[1], f"{queue} to reject it")
    listed = dlq_json(capsys)
    assert {m["queue"]: m["source_id"] for m in listed} == ids
    for message in listed:
        assert message["reason"].startswith("invalid: ")
        assert message["type"] == "(unreadable)"
    # Listing consumes nothing: the human-readable listing shows each of them again.
    assert main(["dlq", "list"]) == 0
    out = capsys.readouterr().out
    for queue in QUEUES:
        assert f"{queue}: 1 message(s) in its dead-letter queue" in out
        assert "invalid: invalid message at $: not JSON" in out


def test_redrive_moves_a_failed_good_message_back_once_and_keeps_the_malformed(settings, capsys):
    bus = Bus(settings)
    bad = send_malformed(settings, "status")
    wait_until(lambda: bad in bus._receive("status", 10, 1)[1], "status to reject it")
    good = available(4)
    bus.publish(good)

    def always_fails(_: Envelope) -> None:
        raise RuntimeError("GitHub is down")

    wait_until(
        lambda: bus.drain("status", always_fails, retry_delay_seconds=0).failed,
        "the good message to reach the status queue",
    )
    wait_until(
        lambda: len(DeadLetters(settings).inspect("status").messages) == 2 or
        (bus.drain("status", always_fails, retry_delay_seconds=0) and False),
        "the good message to exhaust its receives",
    )  # fmt: skip
    listed = {m["task"]: m for m in dlq_json(capsys, "status")}
    assert listed["octo/repo#4"]["type"] == "task.available"
    assert listed["octo/repo#4"]["reason"].startswith("its consumer failed it")
    assert listed[""]["source_id"] == bad

    assert main(["dlq", "redrive", "status"]) == 0
    out = capsys.readouterr().out
    assert "1 message(s) moved back to the status queue" in out
    assert "1 invalid message(s) kept" in out
    (back,) = receive_until(bus, "status", 1)
    assert back.envelope == good
    bus.ack("status", back)
    assert bus.receive("status", wait_seconds=1) == []  # exactly once
    assert [m["source_id"] for m in dlq_json(capsys, "status")] == [bad]


def test_an_unknown_queue_is_refused_by_name(settings, capsys):
    with pytest.raises(SystemExit):
        main(["dlq", "redrive", "nowhere"])
    assert "invalid choice: 'nowhere'" in capsys.readouterr().err
