"""After a human answers an escalated task, the next attempt's agent sees the whole thread."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.polling import drain_until
from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    REPO,
    TEST_COMMAND,
    calc_seed,
    finish,
    scenario,
    wait_until,
    write_file,
)

KEY = f"{REPO}#1"
QUESTION = "Should sum_to(0) be 0 or raise?"
ANSWER = "0, please: the empty sum. Keep it simple."


@pytest.mark.github_seed(calc_seed(f"test: {json.dumps(TEST_COMMAND)}\n"))
def test_the_next_attempt_sees_the_help_request_and_the_human_reply(
    ollama_emulator, start_runner, create_task, aws_settings
):
    from bzzz import aws
    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Actor, Lifecycle
    from bzzz.threads import HUMAN_INPUT, Threads

    help_call = {"tool_calls": [{"name": "ask_for_help", "arguments": {"question": QUESTION}}]}
    ollama_emulator.set_scenario(
        scenario([help_call, write_file("calc.py", FIXED_CALC), finish("sum_to includes n")])
    )
    runner = start_runner()
    create_task()
    lifecycle = Lifecycle(aws_settings, publisher=Bus(aws_settings))
    wait_until(lambda: (t := lifecycle.get(KEY)) and t.state == "escalated", "the escalation")
    # The escalation function takes the runner's hmmm.help into the thread (as in AWS).
    from bzzz.escalation.handler import build_escalations

    drained = drain_until(Bus(aws_settings), "escalation", build_escalations(aws_settings).handle)
    assert drained.handled == 1

    # What the webhook does with a maintainer's reply on an escalated issue.
    threads = Threads(aws_settings, aws.client("dynamodb", aws_settings))
    threads.append(KEY, "github:alice", HUMAN_INPUT, {"text": ANSWER})
    lifecycle.resume(KEY, "alice answered", Actor.human("alice"))

    task = wait_until(
        lambda: (t := lifecycle.get(KEY)) and t.state in ("completed", "failed") and t,
        "the second attempt to end",
    )
    assert task.state == "completed", task.reason
    # The second attempt's first agent request (after its plan) carries the thread.
    prompts = [
        "\n".join(str(m.get("content") or "") for m in r["body"]["messages"])
        for r in ollama_emulator.requests("/api/chat")
    ]
    second = [p for p in prompts if ANSWER in p]
    assert second, "the human's reply never reached the model"
    assert "Earlier discussion of this task" in second[0]
    assert QUESTION in second[0]  # the help request of the first attempt
    runner.stop()
