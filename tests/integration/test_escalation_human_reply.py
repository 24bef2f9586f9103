"""The whole way back from a human: help escalated, a writer replies on the issue, the task
is queued again, and the next agent's prompt holds the discussion and the reply.

Real parts: the app under uvicorn fed signed deliveries by the GitHub stand-in, the
escalation handler draining the local escalation queue (as the local supervisor does),
a real HTTP receiver for the webhook.
"""

from __future__ import annotations

import json

from bzzz import threads
from bzzz.bus import Bus
from bzzz.escalation.handler import Escalations
from bzzz.escalation.policy import EscalationPolicy
from bzzz.github import GitHubApi
from bzzz.messages import Envelope, MessageType
from bzzz.secrets import SecretStore
from bzzz.tasks.lifecycle import Lifecycle
from runner.agent.prompts import task_message
from runner.agent.types import TaskBrief
from tests.events.http_api import FIXTURE_SECRET
from tests.fixtures.clock import ManualClock
from tests.fixtures.http_function import ServedApp
from tests.fixtures.polling import drain_until

KEY = "acme/calc#1"
QUESTION = "Should sum_to(0) return 0 or raise?"
REPLY = "Return 0 for n <= 0, and include n itself otherwise."


def act(github, as_user: str, action: str, **extra: str) -> None:
    """Act on the issue as a person does, and wait until our app answered the delivery."""
    github.act(as_user, "acme/calc", 1, action, **extra)
    delivery = github.deliveries()[-1]  # waits for the stand-in's delivery queue to drain
    assert delivery["error"] is None and delivery["status_code"] == 200, delivery


def test_a_writers_reply_requeues_the_task_and_reaches_the_next_prompt(
    github, served_app: ServedApp, webhook_receiver
):
    github.set_webhook(f"{served_app.url}/github/webhook", FIXTURE_SECRET)
    settings = served_app.services.settings.with_overrides(
        escalation_webhook_url=webhook_receiver.url
    )
    act(github, "alice", "label", label="bzzz-task")
    lifecycle = Lifecycle(settings, publisher=Bus(settings))
    lifecycle.claim(KEY, "runner-a")
    plan = Envelope(MessageType.HMMM_PLAN, "runner-a", KEY, {"round": 1, "text": "1. Fix range"})
    threads.record(settings, plan)
    # What the runner does when its agent asks for help (runner/worker/outcome.py).
    Bus(settings).publish(
        Envelope(MessageType.HMMM_HELP, "runner-a", KEY, {"round": 1, "text": QUESTION})
    )
    lifecycle.escalate(KEY, "runner-a", f"asked for help: {QUESTION}")

    # The control plane speaks as the GitHub App (a bot), whose comments intake ignores.
    bot = GitHubApi(github.base_url, token=github.installation_token(77, 4242))
    escalations = Escalations(
        settings,
        github=lambda repo: bot,
        publisher=Bus(settings),
        secrets=SecretStore(settings, {"BZZZ_ESCALATION_SECRET": "s"}),
        policy=EscalationPolicy(help_timeout_seconds=600),
        clock=(clock := ManualClock()),
    )
    bus = Bus(settings)
    drain_until(bus, "escalation", escalations.handle)  # round 1 opened, nobody answers
    clock.advance(601)
    assert len(escalations.sweep()) == 1
    drain_until(bus, "escalation", escalations.handle)  # escalated
    [delivery] = webhook_receiver.wait_for(1)
    assert json.loads(delivery.body)["escalation_agent"] == "runner-a"

    act(github, "alice", "comment", body=REPLY)
    assert lifecycle.get(KEY).state == "queued"  # type: ignore[union-attr]

    # The next agent's brief: the runner adds thread_context(key) to extra_context.
    brief = TaskBrief(KEY, "acme/calc", 1, "sum_to(n) leaves out n", "body",
                      extra_context=threads.thread_context(KEY))  # fmt: skip
    prompt = task_message(brief)
    for expected in ("1. Fix range", QUESTION, "no peer answered", REPLY):
        assert expected in prompt
    assert prompt.index(QUESTION) < prompt.index(REPLY)
    assert len(webhook_receiver.received) == 1
    humans = [e.text for e in threads.entries(KEY) if e.type == "human.input"]
    assert humans == [REPLY]
