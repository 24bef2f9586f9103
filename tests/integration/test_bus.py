"""The bus over real SNS FIFO -> SQS FIFO fan-out on the local backend."""

from __future__ import annotations

import json

import pytest

from bzzz import aws
from bzzz.bus import ERROR_ATTRIBUTE, Bus
from bzzz.errors import MessageError
from bzzz.messages import Envelope, MessageType
from tests.fixtures.polling import (
    arrivals_before_barrier,
    drain_until,
    envelopes_until,
    receive_until,
    wait_until,
)


def snapshot(state="queued", number=1, version=1):
    return {"state": state, "repo": "octo/repo", "number": number, "attempt": 1, "version": version}


def available(number=1, version=1):
    return Envelope(
        MessageType.TASK_AVAILABLE,
        "control-plane",
        f"octo/repo#{number}",
        snapshot("queued", number, version),
    )


def everything(bus: Bus, queue: str) -> list[Envelope]:
    """Receive (and ack) until the queue is empty: what is left once deliveries are done."""
    seen = []
    while batch := bus.receive(queue, max_messages=10):
        for received in batch:
            seen.append(received.envelope)
            bus.ack(queue, received)
    return seen


def dead_letters(aws_settings, bus: Bus, queue: str) -> list[dict]:
    sqs = aws.client("sqs", aws_settings)
    url = bus.dead_letter_queue_url(queue)

    def receive() -> list[dict]:
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        )
        return reply.get("Messages", [])

    return wait_until(receive, f"a dead letter from {queue}")


@pytest.fixture
def bus(aws_settings):
    return Bus(aws_settings)


@pytest.mark.parametrize(
    ("message_type", "data", "expected_queues"),
    [
        (MessageType.TASK_AVAILABLE, snapshot(), {"work", "status"}),
        (MessageType.TASK_CLAIMED, snapshot("claimed"), {"status"}),
        (MessageType.TASK_PROGRESS, {"state": "running", "iteration": 3}, {"status"}),
        (MessageType.HMMM_HELP, {"round": 1, "text": "stuck on the parser"}, {"escalation"}),
        (MessageType.HMMM_PLAN, {"round": 1, "text": "1. reproduce 2. fix"}, set()),
    ],
)
def test_message_reaches_exactly_the_matching_queues(bus, message_type, data, expected_queues):
    sent = Envelope(message_type, "agent-1", "octo/repo#1", data)
    bus.publish(sent)
    arrived = arrivals_before_barrier(bus, "octo/repo#1")
    assert {queue for queue, got in arrived.items() if got} == expected_queues
    for queue in expected_queues:
        assert arrived[queue] == [sent]


def test_order_is_kept_per_task(bus):
    sent = []
    for version in range(1, 8):
        for number in (1, 2, 3):
            envelope = available(number, version)
            bus.publish(envelope)
            sent.append(envelope)
    received = envelopes_until(bus, "status", len(sent))
    assert sorted(e.id for e in received) == sorted(e.id for e in sent)
    for number in (1, 2, 3):
        versions = [e.data["version"] for e in received if e.task == f"octo/repo#{number}"]
        assert versions == list(range(1, 8))


def test_publishing_an_invalid_envelope_sends_nothing(bus):
    bad = Envelope(MessageType.TASK_COMPLETED, "agent-1", "octo/repo#1", snapshot("completed"))
    with pytest.raises(MessageError) as caught:
        bus.publish(bad)
    assert caught.value.field == "$.data"
    assert everything(bus, "status") == []


@pytest.mark.parametrize(
    ("body", "attributes", "field"),
    [
        ("{not json", {}, "$"),
        (json.dumps({**available().as_dict(), "task": "octo/repo"}), {}, "$.task"),
        (json.dumps({**available().as_dict(), "data": {"state": "queued"}}), {}, "$.data"),
        (
            available().to_json(),
            {"type": {"DataType": "String", "StringValue": "task.claimed"}},
            "type",
        ),
    ],
)
def test_invalid_message_goes_to_the_dead_letter_queue_with_its_error(
    aws_settings, bus, body, attributes, field
):
    sqs = aws.client("sqs", aws_settings)
    sqs.send_message(
        QueueUrl=aws_settings.queue_url("status"),
        MessageBody=body,
        MessageGroupId="octo/repo#1",
        MessageDeduplicationId="bad-1",
        MessageAttributes=attributes,
    )
    good = available(2)
    bus.publish(good)
    arrived = receive_until(bus, "status", 1)  # the bad one was sent first, directly
    assert [m.envelope for m in arrived] == [good]  # the bad one never reaches a handler...
    assert everything(bus, "status") == []
    (dead,) = dead_letters(aws_settings, bus, "status")  # ...and is not lost
    assert dead["Body"] == body
    assert field in dead["MessageAttributes"][ERROR_ATTRIBUTE]["StringValue"]


def test_drain_acks_handled_messages_and_retries_failures(bus):
    bus.publish(available(1))
    bus.publish(available(2))
    handled = []

    def handler(envelope: Envelope) -> None:
        if envelope.task == "octo/repo#2" and envelope.task not in handled:
            handled.append(envelope.task)
            raise RuntimeError("transient")
        handled.append(envelope.task)

    # With no backoff the failed message comes straight back within the same drain.
    result = drain_until(bus, "status", handler, 2, retry_delay_seconds=0)
    assert result.handled == 2 and result.failed == 1
    assert handled == ["octo/repo#1", "octo/repo#2", "octo/repo#2"]
    assert everything(bus, "status") == []


def test_a_message_that_keeps_failing_lands_in_the_dead_letter_queue(aws_settings, bus):
    envelope = available(3)
    bus.publish(envelope)

    def always_fails(_: Envelope) -> None:
        raise RuntimeError("poison")

    # The first drain that sees the message fails it; the later ones exhaust its receives.
    wait_until(
        lambda: bus.drain("status", always_fails, retry_delay_seconds=0).failed,
        "the message to reach the status queue",
    )
    for _ in range(10):
        bus.drain("status", always_fails, retry_delay_seconds=0)
    assert everything(bus, "status") == []
    (dead,) = dead_letters(aws_settings, bus, "status")
    assert Envelope.from_json(dead["Body"]) == envelope
