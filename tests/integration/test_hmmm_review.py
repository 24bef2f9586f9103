"""Plan review with two and three runners on the local stack, their models scripted.

Each runner here is what `bzzz runner` starts for HMMM: an agent row, a peer
queue and a participant whose reviewer is its own model on the Ollama stand-in.
"""

from __future__ import annotations

import time

import pytest

from bzzz import agents, threads
from bzzz.bus import Bus
from bzzz.hmmm.peer_queues import queue_name
from bzzz.messages import Envelope, MessageType
from runner.agent.model import Model
from runner.agent.prompts import task_message
from runner.agent.types import TaskBrief
from runner.hmmm import review_plan, start_participant, with_discussion

TASK = "octo/calc#7"
BRIEF = TaskBrief(TASK, "octo/calc", 7, "average() is wrong", "average([2, 4, 6]) returns 6.")
CONCERN = "the plan adds no regression test for average([2, 4, 6])"

AUTHOR = {
    "name": "author:7b",
    "rules": [
        {"when": {"last_user_contains": "Reviewers' concerns"},
         "reply": "1. Divide by len(values) in calc.py\n2. Add a regression test to test_calc.py"},
        {"when": {"system_contains": "numbered plan"},
         "reply": "1. Divide by len(values) in calc.py"},
    ],
}  # fmt: skip
CRITIC = {
    "name": "critic:7b",
    "rules": [
        {"when": {"system_contains": "reviewing the plan", "last_user_contains": "regression test"},
         "reply": "APPROVE: fixes the divisor and guards it with a test."},
        {"when": {"system_contains": "reviewing the plan"}, "reply": f"CONCERNS: {CONCERN}"},
        {"when": {"system_contains": "is stuck"},
         "reply": "Run `python -m pytest -q test_calc.py` and read the assertion."},
    ],
}  # fmt: skip
FRIEND = {
    "name": "friend:7b",
    "rules": [{"when": {"system_contains": "reviewing the plan"}, "reply": "APPROVE"}],
}


@pytest.fixture
def runners(aws_settings, ollama_emulator):
    ollama_emulator.set_scenario({"models": [AUTHOR, CRITIC, FRIEND]})
    started = []

    def start(agent_id: str, model: str, wait: float = 60.0):
        agents.register(agent_id, models=[model], capacity=1)
        participant = start_participant(
            aws_settings, agent_id, Bus(aws_settings), Model(model, host=ollama_emulator.host),
            wait_seconds=wait,
        )  # fmt: skip
        started.append(participant)
        return participant, Model(model, host=ollama_emulator.host)

    yield start
    for participant in started:
        participant.stop()


def _author_requests(ollama_emulator) -> list[str]:
    return [
        "\n".join(m["content"] for m in r["seen_messages"])
        for r in ollama_emulator.requests("/api/chat")
        if r["model"] == "author:7b"
    ]


def test_concerns_change_the_plan_and_reach_the_agents_prompt(runners, ollama_emulator):
    author, model = runners("runner-a", "author:7b")
    runners("runner-b", "critic:7b")
    discussion = review_plan(author, model, BRIEF)
    assert discussion.rounds == 2
    assert "regression test" in discussion.plan
    assert [(f.sender, f.verdict, f.round) for f in discussion.feedback] == [
        ("runner-b", "concerns", 1),
        ("runner-b", "approve", 2),
    ]
    # The author's second plan request carried the reviewer's concern.
    requests = _author_requests(ollama_emulator)
    assert len(requests) == 2 and CONCERN not in requests[0] and CONCERN in requests[1]
    # ...and so does the prompt the agent starts from.
    assert CONCERN in task_message(with_discussion(BRIEF, discussion))
    kinds = [(e.sender, e.type, e.data.get("round")) for e in threads.entries(TASK)]
    assert kinds == [
        ("runner-a", "hmmm.plan", 1), ("runner-b", "hmmm.feedback", 1),
        ("runner-a", "hmmm.plan", 2), ("runner-b", "hmmm.feedback", 2),
    ]  # fmt: skip
    shown = threads.render_thread(TASK)
    assert shown.startswith("<details>") and CONCERN in shown and shown.endswith("</details>")


def test_three_runners_both_peers_review_and_approval_ends_the_rounds(runners):
    author, model = runners("runner-a", "author:7b")
    runners("runner-b", "friend:7b")
    runners("runner-c", "friend:7b")
    discussion = review_plan(author, model, BRIEF)
    assert discussion.rounds == 1 and discussion.approved
    assert sorted(f.sender for f in discussion.feedback) == ["runner-b", "runner-c"]
    assert "regression test" not in discussion.plan


def test_without_live_peers_with_a_free_slot_the_author_does_not_wait(runners, aws_settings):
    # An hour's wait would outlast the test timeout: finishing at all proves no wait.
    author, model = runners("runner-a", "author:7b", wait=3600)
    agents.register("runner-dead", models=["critic:7b"], ttl_seconds=-1)  # expired row
    agents.register("runner-busy", models=["critic:7b"], capacity=1, current_tasks=["o/r#9"])
    discussion = review_plan(author, model, BRIEF)
    assert discussion.feedback == [] and discussion.rounds == 1
    assert [e.type for e in threads.entries(TASK)] == ["hmmm.plan"]


def test_a_help_request_is_answered_by_a_peer(runners, aws_settings):
    runners("runner-a", "author:7b")
    runners("runner-b", "critic:7b")
    help_request = Envelope(
        MessageType.HMMM_HELP, "runner-a", TASK, {"round": 1, "text": "I am stuck: which test?"}
    )
    Bus(aws_settings).publish(help_request)
    deadline = time.monotonic() + 30
    answers: list[threads.Entry] = []
    while not answers and time.monotonic() < deadline:
        answers = [e for e in threads.entries(TASK) if e.data.get("in_reply_to") == help_request.id]
        time.sleep(0.2)
    assert [(a.sender, a.type) for a in answers] == [("runner-b", "hmmm.feedback")]
    assert "pytest" in answers[0].text


def test_stopping_deletes_the_runners_peer_queue(runners, aws_settings):
    from bzzz import aws

    participant, _ = runners("runner-s", "friend:7b")
    name = queue_name(aws_settings, "runner-s")
    sqs = aws.client("sqs", aws_settings)

    def listed() -> list[str]:  # by prefix: past ListQueues' page the session has many queues
        return sqs.list_queues(QueueNamePrefix=name.removesuffix(".fifo")).get("QueueUrls", [])

    assert any(u.endswith(name) for u in listed())
    participant.stop()
    assert not any(u.endswith(name) for u in listed())
