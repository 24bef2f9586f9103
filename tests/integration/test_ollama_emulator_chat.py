"""/api/chat of the Ollama stand-in, driven by the official ollama client over loopback."""

from __future__ import annotations

import httpx
import ollama
import pytest

RUN_COMMAND = {
    "type": "function",
    "function": {
        "name": "run_command",
        "description": "Run a shell command in the sandbox",
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"],
        },
    },
}


def scenario(**model: object) -> dict:
    spec = {"name": "coder:7b", "capabilities": ["completion", "tools"], **model}
    return {"models": [spec, {"name": "plain:1b", "capabilities": ["completion"]}]}


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def test_chat_without_streaming_returns_the_scripted_text(ollama_emulator):
    ollama_emulator.set_scenario(scenario(script=["The sky is blue."]))
    reply = ollama_emulator.client().chat(model="coder:7b", messages=[user("why?")])
    assert isinstance(reply, ollama.ChatResponse)
    assert reply.message.role == "assistant"
    assert reply.message.content == "The sky is blue."
    assert reply.model == "coder:7b"
    assert reply.done is True
    assert reply.done_reason == "stop"
    assert reply.eval_count > 0


def test_chat_streams_fragments_then_a_final_object_with_statistics(ollama_emulator):
    text = "First I will run the tests, then read the failing file."
    ollama_emulator.set_scenario(scenario(script=[text]))
    stream = ollama_emulator.client().chat(model="coder:7b", messages=[user("go")], stream=True)
    parts = list(stream)
    assert len(parts) > 2
    assert "".join(p.message.content for p in parts) == text
    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[-1].done_reason == "stop"
    assert parts[-1].prompt_eval_count > 0
    assert all(p.eval_count is None for p in parts[:-1])


def test_stream_is_the_default_and_is_ndjson(ollama_emulator):
    ollama_emulator.set_scenario(scenario(name="coder:latest", script=["two words"]))
    body = {"model": "coder", "messages": [user("hi")]}  # no "stream"; tag defaults to latest
    with httpx.stream("POST", f"{ollama_emulator.base_url}/api/chat", json=body) as response:
        lines = list(response.iter_lines())
        assert response.headers["content-type"] == "application/x-ndjson"
    assert len(lines) == 3
    assert ollama.ChatResponse.model_validate_json(lines[-1]).done is True


def test_tool_calls_round_trip_and_a_rule_answers_the_tool_result(ollama_emulator):
    ollama_emulator.set_scenario(
        scenario(
            rules=[
                {
                    "when": {"last_tool_contains": "FAILED"},
                    "reply": {"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]},
                }
            ],
            script=[{"tool_calls": [{"name": "run_command", "arguments": {"command": "pytest"}}]}],
        )
    )
    client = ollama_emulator.client()
    messages = [user("fix the bug")]
    first = client.chat(model="coder:7b", messages=messages, tools=[RUN_COMMAND])
    (call,) = first.message.tool_calls
    assert isinstance(call, ollama.Message.ToolCall)
    assert call.function.name == "run_command"
    assert call.function.arguments == {"command": "pytest"}

    messages += [first.message, {"role": "tool", "content": "FAILED test_a.py::test_x"}]
    second = client.chat(model="coder:7b", messages=messages, tools=[RUN_COMMAND])
    assert second.message.tool_calls[0].function.name == "read_file"
    assert second.message.tool_calls[0].function.arguments == {"path": "a.py"}
    chats = ollama_emulator.requests("/api/chat")
    assert [c["reply_source"] for c in chats] == ["script 0", "rule 0"]
    assert chats[1]["body"]["tools"][0]["function"]["name"] == "run_command"
    assert ollama_emulator.last_seen_messages()[-1]["content"] == "FAILED test_a.py::test_x"


def test_streamed_tool_calls_arrive_whole_in_one_chunk(ollama_emulator):
    call = {"name": "finish", "arguments": {"summary": "done"}}
    ollama_emulator.set_scenario(scenario(script=[{"tool_calls": [call]}]))
    parts = list(
        ollama_emulator.client().chat(
            model="coder:7b", messages=[user("go")], tools=[RUN_COMMAND], stream=True
        )
    )
    calls = [c for p in parts for c in (p.message.tool_calls or [])]
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("finish", {"summary": "done"})
    ]


def test_tools_for_a_model_without_tool_support_are_refused(ollama_emulator):
    ollama_emulator.set_scenario(scenario())
    with pytest.raises(ollama.ResponseError) as caught:
        ollama_emulator.client().chat(model="plain:1b", messages=[user("x")], tools=[RUN_COMMAND])
    assert caught.value.status_code == 400
    assert "does not support tools" in caught.value.error


def test_unknown_model_is_404_with_ollamas_message(ollama_emulator):
    with pytest.raises(ollama.ResponseError) as caught:
        ollama_emulator.client().chat(model="missing:13b", messages=[user("x")])
    assert caught.value.status_code == 404
    assert caught.value.error == 'model "missing:13b" not found, try pulling it first'


def test_a_request_without_model_is_400(ollama_emulator):
    response = httpx.post(f"{ollama_emulator.base_url}/api/chat", json={"messages": []})
    assert response.status_code == 400
    assert response.json() == {"error": "model is required"}


def test_format_schema_gets_the_scripted_json_and_a_mismatch_is_reported(ollama_emulator):
    schema = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}
    ollama_emulator.set_scenario(scenario(script=[{"json": {"age": 22}}, {"json": {"age": "x"}}]))
    client = ollama_emulator.client()
    reply = client.chat(model="coder:7b", messages=[user("age?")], format=schema)
    assert reply.message.content == '{"age": 22}'
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="coder:7b", messages=[user("age?")], format=schema)
    assert caught.value.status_code == 500
    assert "does not match `format`" in caught.value.error


def test_an_exhausted_script_without_fallback_fails_loudly(ollama_emulator):
    ollama_emulator.set_scenario(scenario(script=["only once"]))
    client = ollama_emulator.client()
    assert client.chat(model="coder:7b", messages=[user("a")]).message.content == "only once"
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="coder:7b", messages=[user("b")])
    assert caught.value.status_code == 500
    assert "no reply left for model coder:7b" in caught.value.error


def test_the_fallback_answers_after_the_script(ollama_emulator):
    ollama_emulator.set_scenario(scenario(script=["step"], fallback="stuck"))
    client = ollama_emulator.client()
    answers = [client.chat(model="coder:7b", messages=[user("x")]).message.content for _ in "abc"]
    assert answers == ["step", "stuck", "stuck"]
    assert [r["reply_source"] for r in ollama_emulator.requests()] == [
        "script 0",
        "fallback",
        "fallback",
    ]


def test_nothing_useful_empty_and_repeated(ollama_emulator):
    ollama_emulator.set_scenario(scenario(script=[{"nothing": "empty"}, {"nothing": "repeat"}]))
    client = ollama_emulator.client()
    assert client.chat(model="coder:7b", messages=[user("x")]).message.content == ""
    history = [user("x"), {"role": "assistant", "content": "Let me think."}, user("and?")]
    assert client.chat(model="coder:7b", messages=history).message.content == "Let me think."


def test_a_scripted_error_has_its_status_and_ollamas_shape(ollama_emulator):
    ollama_emulator.set_scenario(scenario(script=[{"error": "model is busy", "status": 503}]))
    with pytest.raises(ollama.ResponseError) as caught:
        ollama_emulator.client().chat(model="coder:7b", messages=[user("x")])
    assert (caught.value.status_code, caught.value.error) == (503, "model is busy")


def test_a_delay_outlasts_a_client_timeout_and_the_request_is_still_recorded(ollama_emulator):
    ollama_emulator.set_scenario(scenario(script=[{"text": "late", "delay": 5}, "on time"]))
    with pytest.raises(httpx.TimeoutException):
        ollama_emulator.client(timeout=0.3).chat(model="coder:7b", messages=[user("slow")])
    assert ollama_emulator.requests("/api/chat")[0]["body"]["messages"][0]["content"] == "slow"
    quick = ollama_emulator.client(timeout=5).chat(model="coder:7b", messages=[user("next")])
    assert quick.message.content == "on time"


def test_num_predict_cuts_the_reply_with_done_reason_length(ollama_emulator):
    ollama_emulator.set_scenario(scenario(script=["word " * 50]))
    reply = ollama_emulator.client().chat(
        model="coder:7b", messages=[user("x")], options={"num_predict": 5}
    )
    assert reply.done_reason == "length"
    assert reply.message.content == ("word " * 50)[:20]


def test_thinking_is_returned_only_when_asked_and_supported(ollama_emulator):
    thinker = {"name": "thinker:8b", "capabilities": ["completion", "thinking"]}
    reply = {"text": "42", "thinking": "Six times seven."}
    ollama_emulator.set_scenario({"models": [{**thinker, "script": [reply], "fallback": reply}]})
    client = ollama_emulator.client()
    thought = client.chat(model="thinker:8b", messages=[user("?")], think=True)
    assert (thought.message.content, thought.message.thinking) == ("42", "Six times seven.")
    plain = client.chat(model="thinker:8b", messages=[user("?")])
    assert (plain.message.content, plain.message.thinking) == ("42", None)
    ollama_emulator.set_scenario(scenario())
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="coder:7b", messages=[user("?")], think=True)
    assert caught.value.status_code == 400
    assert "does not support thinking" in caught.value.error


def test_malformed_messages_are_400_in_ollamas_shape(ollama_emulator):
    body = {"model": "qwen2.5-coder:7b", "messages": ["just a string"], "stream": False}
    response = httpx.post(f"{ollama_emulator.base_url}/api/chat", json=body)
    assert response.status_code == 400
    assert "messages" in response.json()["error"]


def test_an_error_mid_stream_ends_the_stream_with_an_error_line(ollama_emulator):
    broken = {"text": "Partial answer", "error": "llama runner process has terminated"}
    ollama_emulator.set_scenario(scenario(script=[{**broken, "mid_stream": True}]))
    received = []
    stream = ollama_emulator.client().chat(model="coder:7b", messages=[user("x")], stream=True)

    def consume() -> None:
        for part in stream:
            received.append(part.message.content)

    with pytest.raises(ollama.ResponseError) as caught:
        consume()
    assert caught.value.error == "llama runner process has terminated"
    assert "".join(received) == "Partial answer"
    (record,) = ollama_emulator.requests("/api/chat")
    assert (record["status"], record["chunks"][-1]) == (200, {"error": broken["error"]})


def test_a_drop_fault_cuts_the_answer_off_mid_body_and_the_runner_sees_the_host_gone(
    ollama_emulator,
):
    """The model host going away mid-answer (PUT /_emulator/faults): a 200 whose body breaks
    off. The runner's Model reads that as the host unavailable (the runner then releases
    its task for another runner), never as a bad answer of the model."""
    from runner.agent.model import Model
    from runner.errors import ModelUnavailableError

    ollama_emulator.set_scenario(scenario(script=[], fallback="still here"))
    admin = httpx.Client(base_url=ollama_emulator.base_url, timeout=10)
    assert admin.put("/_emulator/faults", json={"drop": True, "seconds": 60}).status_code == 200
    model = Model("coder:7b", host=ollama_emulator.base_url)
    with pytest.raises(ModelUnavailableError, match="unreachable"):
        model.chat([user("go")])
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{ollama_emulator.base_url}/api/chat", json={"model": "coder:7b"}, timeout=10)
    assert admin.get("/_emulator/faults").json()["dropped"] == 2
    assert admin.delete("/_emulator/faults").json() == {"dropped": 2}
    assert model.chat([user("go")]).content == "still here"
    assert admin.put("/_emulator/faults", json={"drop": "yes"}).status_code == 400
