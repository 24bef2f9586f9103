"""Per-runner peer queues over real SNS FIFO -> SQS FIFO on the local backend."""

from __future__ import annotations

import time

from bzzz import aws
from bzzz.bus import Bus
from bzzz.hmmm.peer_queues import PeerQueues, queue_name, stack_prefix
from bzzz.messages import Envelope, MessageType


def _all(queues: PeerQueues, queue, expected: int, timeout: float = 10.0) -> list[Envelope]:
    seen: list[Envelope] = []
    deadline = time.monotonic() + timeout
    while len(seen) < expected and time.monotonic() < deadline:
        for envelope, receipt in queues.receive(queue, wait_seconds=1):
            seen.append(envelope)
            queues.ack(queue, receipt)
    return seen


def _queue_names(settings) -> set[str]:
    # By prefix: the session's server holds every test's queues, past ListQueues' page.
    prefix = stack_prefix(settings)
    urls = aws.client("sqs", settings).list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    return {url.rsplit("/", 1)[-1] for url in urls}


def test_every_runner_queue_gets_every_hmmm_message_and_nothing_else(aws_settings):
    queues = PeerQueues(aws_settings)
    a, b = queues.create("runner-a"), queues.create("runner/b:1")
    bus = Bus(aws_settings)
    sent = [
        Envelope(MessageType.HMMM_PLAN, "runner-a", "octo/repo#1", {"round": 1, "text": "plan"}),
        Envelope(
            MessageType.HMMM_FEEDBACK,
            "runner/b:1",
            "octo/repo#1",
            {"round": 1, "text": "ok", "verdict": "approve"},
        ),
        Envelope(MessageType.HMMM_HELP, "runner-a", "octo/repo#2", {"round": 1, "text": "stuck"}),
        Envelope(
            MessageType.HMMM_ESCALATED, "control-plane", "octo/repo#2", {"round": 1, "text": "x"}
        ),
        Envelope(
            MessageType.TASK_PROGRESS,
            "runner-a",
            "octo/repo#1",
            {"state": "running", "iteration": 1},
        ),
    ]
    for envelope in sent:
        bus.publish(envelope)
    want = [e.id for e in sent[:4]]
    for queue in (a, b):
        got = _all(queues, queue, 4)
        assert sorted(e.id for e in got) == sorted(want)
        # Per-task order holds (one message group per task).
        assert [e.id for e in got if e.task == "octo/repo#1"] == want[:2]
    assert queues.receive(a, wait_seconds=0) == []  # task.progress never arrived


def test_delete_removes_queue_dead_letter_queue_and_subscription(aws_settings):
    queues = PeerQueues(aws_settings)
    queue = queues.create("runner-gone")
    names = {
        queue_name(aws_settings, "runner-gone"),
        queue_name(aws_settings, "runner-gone", dead_letter=True),
    }
    assert names <= _queue_names(aws_settings)
    queues.delete(queue)
    assert not names & _queue_names(aws_settings)
    subs = aws.client("sns", aws_settings).list_subscriptions_by_topic(
        TopicArn=aws_settings.topic_arn
    )
    assert queue.arn not in {s["Endpoint"] for s in subs["Subscriptions"]}


def test_a_restarted_runner_takes_its_queue_back_with_one_subscription(aws_settings):
    queues = PeerQueues(aws_settings)
    first = queues.create("runner-r")
    again = queues.create("runner-r")
    assert again.url == first.url
    subs = aws.client("sns", aws_settings).list_subscriptions_by_topic(
        TopicArn=aws_settings.topic_arn
    )
    assert [s["Endpoint"] for s in subs["Subscriptions"]].count(first.arn) == 1


def test_orphans_of_dead_runners_are_removed_and_live_ones_kept(aws_settings):
    queues = PeerQueues(aws_settings)
    queues.create("runner-live")
    queues.create("runner-dead")
    later = time.time() + 3600  # past the grace period of a just-made queue
    assert queues.remove_orphans(["runner-live"], now=time.time()) == []  # too young
    removed = queues.remove_orphans(["runner-live"], now=later)
    assert removed == [queue_name(aws_settings, "runner-dead")]
    names = _queue_names(aws_settings)
    assert queue_name(aws_settings, "runner-live") in names
    assert queue_name(aws_settings, "runner-dead", dead_letter=True) not in names
