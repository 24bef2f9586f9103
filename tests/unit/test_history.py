"""History.fit: what is sent when the conversation outgrows the context budget."""

from __future__ import annotations

from runner.agent.history import History, raw_tokens

SYSTEM = "You are a careful engineer."
TASK = "Issue o/r#1: fix average()."


def history_with(outputs: list[str]) -> History:
    history = History(SYSTEM, TASK)
    for step, output in enumerate(outputs, start=1):
        history.add(step, {"role": "assistant", "content": f"step {step}"})
        history.add(step, {"role": "user", "content": output}, observation=True)
    return history


def budget_for(history: History) -> int:
    return history.tokens(history.messages())


def test_everything_is_sent_when_it_fits():
    history = history_with(["a" * 100, "b" * 100])
    assert history.fit(budget_for(history)) == history.messages()


def test_the_oldest_observations_become_markers_first():
    history = history_with(["a" * 700, "b" * 700, "c" * 700])
    sent = history.fit(budget_for(history) - 150)  # room for two of the three outputs
    assert sent[:2] == [history.system, history.task]
    contents = [m["content"] for m in sent]
    assert "[observation of step 1 dropped: 700 chars]" in contents
    assert "b" * 700 in contents and "c" * 700 in contents
    assert history.messages()[3]["content"] == "a" * 700  # the full history is untouched


def test_then_whole_old_steps_go_but_the_latest_stays():
    history = history_with(["a" * 700, "b" * 700, "c" * 700])
    head = history.tokens([history.system, history.task])
    last = history.tokens(history.messages()[-2:])
    sent = history.fit(head + last + 20)
    assert sent[:2] == [history.system, history.task]
    assert sent[2]["content"].endswith("earliest steps dropped to fit the context]")
    assert sent[-1]["content"] == "c" * 700
    assert history.tokens(sent) <= head + last + 20


def test_a_latest_observation_too_big_alone_is_cut_to_fit():
    history = history_with(["x" * 10_000])
    budget = history.tokens([history.system, history.task]) + 200
    sent = history.fit(budget)
    assert sent[:2] == [history.system, history.task]
    assert sent[-1]["content"].startswith("x" * 100) and "chars cut to fit]" in sent[-1]["content"]
    assert history.tokens(sent) <= budget


def test_extra_tokens_such_as_tools_count_against_the_budget():
    history = history_with(["a" * 700, "b" * 700])
    budget = budget_for(history)
    assert history.fit(budget) == history.messages()
    assert history.fit(budget, extra=150) != history.messages()


def test_calibration_only_scales_the_estimate_up():
    history = history_with(["a" * 350])
    sent = history.messages()
    estimate = sum(raw_tokens(m) for m in sent)
    history.calibrate(sent, estimate // 2)  # a cached prefix makes Ollama report less
    assert history.scale == 1.0
    history.calibrate(sent, estimate * 2)
    assert history.scale == 2.0
    assert history.tokens(sent) == estimate * 2


def test_tokens_are_estimated_at_three_and_a_half_chars():
    assert raw_tokens({"role": "user", "content": "x" * 35}) == 10 + 4
