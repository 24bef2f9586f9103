"""options.num_ctx in the Ollama stand-in: token estimates, truncation as Ollama does, refusal."""

from __future__ import annotations

import ollama
import pytest

from infra.ollama_emulator.context_window import MESSAGE_OVERHEAD, estimate_tokens


def scenario(overflow: str = "truncate", **model: object) -> dict:
    spec = {
        "name": "coder:7b",
        "capabilities": ["completion", "tools"],
        "context_length": 8192,
        "default_num_ctx": 2048,
        "fallback": "ok",
        **model,
    }
    return {"context_overflow": overflow, "models": [spec]}


def msg(role: str, text: str) -> dict:
    return {"role": role, "content": text}


def test_prompt_eval_count_is_the_documented_estimate(ollama_emulator):
    ollama_emulator.set_scenario(scenario())
    messages = [msg("system", "You fix bugs."), msg("user", "Fix calc.py, please.")]
    reply = ollama_emulator.client().chat(model="coder:7b", messages=messages)
    expected = sum(MESSAGE_OVERHEAD + estimate_tokens(m["content"]) for m in messages)
    assert reply.prompt_eval_count == expected
    context = ollama_emulator.requests("/api/chat")[0]["context"]
    assert context == {
        "num_ctx": 2048,
        "prompt_tokens": expected,
        "requested_tokens": expected,
        "dropped_messages": 0,
        "truncated": False,
    }


def test_overflow_drops_oldest_messages_but_keeps_system_and_latest(ollama_emulator):
    ollama_emulator.set_scenario(scenario())
    old = [msg("user" if i % 2 == 0 else "assistant", f"turn {i} " + "x" * 400) for i in range(6)]
    messages = [msg("system", "TASK: fix calc.py"), *old, msg("user", "latest output")]
    reply = ollama_emulator.client().chat(
        model="coder:7b", messages=messages, options={"num_ctx": 300}
    )
    assert reply.prompt_eval_count <= 300
    seen = ollama_emulator.last_seen_messages()
    assert seen[0]["content"] == "TASK: fix calc.py"
    assert seen[-1]["content"] == "latest output"
    assert len(seen) < len(messages)
    # What survives is the most recent stretch of the conversation, in order.
    assert [m["content"] for m in seen[1:]] == [m["content"] for m in messages[-(len(seen) - 1) :]]
    record = ollama_emulator.requests("/api/chat")[0]
    assert record["context"]["truncated"] is True
    assert record["context"]["dropped_messages"] == len(messages) - len(seen)
    assert record["context"]["requested_tokens"] > 300


def test_rules_see_only_what_survived_truncation(ollama_emulator):
    rule = {"when": {"any_message_contains": "SECRET"}, "reply": "I remember the secret"}
    ollama_emulator.set_scenario(scenario(rules=[rule]))
    client = ollama_emulator.client()
    messages = [msg("user", "SECRET " + "y" * 2000), msg("assistant", "noted"), msg("user", "go")]
    full = client.chat(model="coder:7b", messages=messages, options={"num_ctx": 4096})
    assert full.message.content == "I remember the secret"
    cut = client.chat(model="coder:7b", messages=messages, options={"num_ctx": 100})
    assert cut.message.content == "ok"


def test_a_latest_message_larger_than_the_window_is_cut_to_the_window(ollama_emulator):
    ollama_emulator.set_scenario(scenario())
    huge = [msg("user", "z" * 10_000)]
    reply = ollama_emulator.client().chat(model="coder:7b", messages=huge, options={"num_ctx": 512})
    assert reply.prompt_eval_count == 512


def test_num_ctx_beyond_the_trained_window_is_capped(ollama_emulator):
    ollama_emulator.set_scenario(scenario())
    client = ollama_emulator.client()
    client.chat(model="coder:7b", messages=[msg("user", "hi")], options={"num_ctx": 1_000_000})
    assert ollama_emulator.requests("/api/chat")[0]["context"]["num_ctx"] == 8192
    (running,) = client.ps().models
    assert running.context_length == 8192


def test_overflow_mode_error_refuses_with_400(ollama_emulator):
    ollama_emulator.set_scenario(scenario(overflow="error"))
    with pytest.raises(ollama.ResponseError) as caught:
        ollama_emulator.client().chat(
            model="coder:7b", messages=[msg("user", "w" * 4000)], options={"num_ctx": 256}
        )
    assert caught.value.status_code == 400
    assert caught.value.error == "the input length exceeds the context length"


def test_generate_counts_and_truncates_its_prompt_too(ollama_emulator):
    ollama_emulator.set_scenario(scenario())
    client = ollama_emulator.client()
    small = client.generate(model="coder:7b", prompt="def add(a, b):")
    assert small.prompt_eval_count == MESSAGE_OVERHEAD + estimate_tokens("def add(a, b):")
    big = client.generate(model="coder:7b", prompt="q" * 9000, options={"num_ctx": 1024})
    assert big.prompt_eval_count == 1024
