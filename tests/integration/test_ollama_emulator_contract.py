"""The Ollama stand-in held to Ollama's documented API, and the check itself shown to bite."""

from __future__ import annotations

import copy

import httpx
import ollama
import pytest

from infra.ollama_emulator.contract import problems
from tests.fixtures.ollama import client_losses, exchange_problems, fail_on_contract_breaks

TOOL = {"type": "function", "function": {"name": "finish", "parameters": {"type": "object"}}}
SCENARIO = {
    "models": [
        {
            "name": "coder:7b",
            "capabilities": ["completion", "tools"],
            "script": [{"text": "Calling.", "tool_calls": [{"name": "finish", "arguments": {}}]}],
            "fallback": "Plain text answer.",
        }
    ]
}


def exercise_every_endpoint(stand_in) -> list[dict]:
    client = stand_in.client()
    user = [{"role": "user", "content": "hi"}]
    client.chat(model="coder:7b", messages=user, tools=[TOOL])
    list(client.chat(model="coder:7b", messages=user, stream=True))
    client.generate(model="coder:7b", prompt="hi")
    list(client.generate(model="coder:7b", prompt="hi", stream=True))
    client.chat(model="coder:7b", messages=[])
    client.list()
    client.show("coder:7b")
    client.ps()
    httpx.get(stand_in.base_url + "/api/version")
    httpx.get(stand_in.base_url + "/")
    with pytest.raises(ollama.ResponseError):
        client.chat(model="absent", messages=user)
    return stand_in.requests()


def test_every_endpoint_answers_within_the_contract(ollama_emulator):
    ollama_emulator.set_scenario(SCENARIO)
    records = exercise_every_endpoint(ollama_emulator)
    paths = {(r["method"], r["path"], r["streamed"]) for r in records}
    assert ("POST", "/api/chat", True) in paths
    assert ("POST", "/api/generate", True) in paths
    assert {p for _, p, _ in paths} >= {
        "/",
        "/api/chat",
        "/api/generate",
        "/api/tags",
        "/api/show",
        "/api/ps",
        "/api/version",
    }
    assert [p for r in records for p in exchange_problems(r)] == []


def _record(stand_in, path: str, streamed: bool) -> dict:
    stand_in.set_scenario(SCENARIO)
    records = exercise_every_endpoint(stand_in)
    return copy.deepcopy(
        next(r for r in records if r["path"] == path and r["streamed"] == streamed)
    )


def _rename_done(r):
    r["response"]["finished"] = r["response"].pop("done")


def _string_count(r):
    r["response"]["eval_count"] = "12"


def _openai_style_arguments(r):
    r["response"]["message"]["tool_calls"][0]["function"]["arguments"] = "{}"


def _camel_case_field(r):
    r["response"]["promptEvalCount"] = r["response"].pop("prompt_eval_count")


def _wrong_role(r):
    r["response"]["message"]["role"] = "model"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_rename_done, "'done' is a required property"),
        (_string_count, "'12' is not of type 'integer'"),
        (_openai_style_arguments, "'{}' is not of type 'object'"),
        (_camel_case_field, "Additional properties are not allowed"),
        (_wrong_role, "'assistant' was expected"),
    ],
)
def test_a_wrong_chat_response_is_caught(ollama_emulator, mutate, expected):
    record = _record(ollama_emulator, "/api/chat", streamed=False)
    assert problems(record) == []
    mutate(record)
    found = problems(record)
    assert any(expected in p for p in found), found


def test_a_stream_that_never_says_done_is_caught(ollama_emulator):
    record = _record(ollama_emulator, "/api/chat", streamed=True)
    record["chunks"] = record["chunks"][:-1]
    assert any("final chunk" in p and "True was expected" in p for p in problems(record))


def test_an_error_not_in_ollamas_shape_is_caught(ollama_emulator):
    record = _record(ollama_emulator, "/api/tags", streamed=False)
    record.update(status=404, response={"message": "Not Found"})
    assert any("'error' is a required property" in p for p in problems(record))


def test_a_wrong_health_check_and_an_undocumented_endpoint_are_caught(ollama_emulator):
    health = _record(ollama_emulator, "/", streamed=False)
    health["response"] = "OK"
    assert problems(health) != []
    health.update(path="/api/whatever", response={})
    assert any("not an endpoint" in p for p in problems(health))


def test_a_field_the_official_client_would_drop_is_caught(ollama_emulator):
    record = _record(ollama_emulator, "/api/chat", streamed=False)
    record["response"]["message"]["tool_calls"][0]["function"]["id"] = "call_1"
    assert client_losses(ollama.ChatResponse, record["response"]) == [
        "message.tool_calls[].function.id: unknown to ollama.Message.ToolCall.Function"
    ]
    # The contract alone also refuses it: Ollama's docs name no such field.
    assert exchange_problems(record) != []


def test_the_teardown_gate_fails_on_a_broken_exchange_and_passes_real_ones(ollama_emulator):
    ollama_emulator.set_scenario(SCENARIO)
    records = exercise_every_endpoint(ollama_emulator)
    fail_on_contract_breaks(records)  # the real exchanges pass
    broken = {"method": "GET", "path": "/api/tags", "status": 200, "streamed": False}
    broken["response"] = {"models": [{"name": "x"}]}
    with pytest.raises(pytest.fail.Exception, match="'model' is a required property"):
        fail_on_contract_breaks([*records, broken])
