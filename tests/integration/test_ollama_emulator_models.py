"""Listing, show, ps, version, generate, health check and admin routes of the Ollama stand-in."""

from __future__ import annotations

import json

import httpx
import ollama
import pytest

from infra.ollama_emulator import ScenarioError

SCENARIO = {
    "version": "0.12.6",
    "models": [
        {
            "name": "qwen2.5-coder:7b",
            "family": "qwen2",
            "parameter_size": "7.6B",
            "context_length": 32768,
            "capabilities": ["completion", "tools"],
            "script": ["def add(a, b):\n    return a + b\n"],
            "fallback": "again",
        },
        {
            "name": "codellama:7b",
            "family": "llama",
            "parameter_size": "7B",
            "quantization_level": "Q4_0",
            "context_length": 16384,
            "capabilities": ["completion"],
            "script": [{"tool_calls": [{"name": "finish", "arguments": {}}]}],
        },
    ],
}


@pytest.fixture
def stand_in(ollama_emulator):
    ollama_emulator.set_scenario(SCENARIO)
    return ollama_emulator


def test_health_check_answers_get_and_head(stand_in):
    got = httpx.get(stand_in.base_url + "/")
    assert (got.status_code, got.text) == (200, "Ollama is running")
    assert httpx.head(stand_in.base_url + "/").status_code == 200


def test_tags_lists_every_scenario_model_with_details(stand_in):
    models = stand_in.client().list().models
    assert [m.model for m in models] == ["qwen2.5-coder:7b", "codellama:7b"]
    coder = models[0]
    assert coder.details.family == "qwen2"
    assert coder.details.parameter_size == "7.6B"
    assert coder.details.format == "gguf"
    assert coder.size > 0
    assert len(coder.digest) == 64
    assert coder.modified_at is not None


def test_show_reports_capabilities_and_context_length_per_model(stand_in):
    client = stand_in.client()
    coder = client.show("qwen2.5-coder:7b")
    assert coder.capabilities == ["completion", "tools"]
    assert coder.modelinfo["general.architecture"] == "qwen2"
    assert coder.modelinfo["qwen2.context_length"] == 32768
    assert coder.details.quantization_level == "Q4_K_M"
    plain = client.show("codellama:7b")
    assert "tools" not in plain.capabilities
    assert plain.modelinfo["llama.context_length"] == 16384


def test_show_of_an_unknown_model_is_404(stand_in):
    with pytest.raises(ollama.ResponseError) as caught:
        stand_in.client().show("nope:1b")
    assert (caught.value.status_code, caught.value.error) == (404, "model 'nope:1b' not found")


def test_version_reports_the_scenarios_version(stand_in):
    response = httpx.get(stand_in.base_url + "/api/version")
    assert response.json() == {"version": "0.12.6"}


def test_ps_lists_models_once_used_and_keep_alive_zero_unloads(stand_in):
    client = stand_in.client()
    assert client.ps().models == []
    client.generate(model="qwen2.5-coder:7b", prompt="def add")
    (running,) = client.ps().models
    assert running.model == "qwen2.5-coder:7b"
    assert running.context_length == 4096
    assert running.expires_at is not None
    unload = client.generate(model="qwen2.5-coder:7b", keep_alive=0)
    assert unload.done_reason == "unload"
    assert client.ps().models == []


def test_an_empty_chat_loads_the_model(stand_in):
    reply = stand_in.client().chat(model="codellama:7b", messages=[])
    assert (reply.done, reply.done_reason, reply.message.content) == (True, "load", "")
    assert [m.model for m in stand_in.client().ps().models] == ["codellama:7b"]


def test_generate_without_and_with_streaming(stand_in):
    client = stand_in.client()
    whole = client.generate(model="qwen2.5-coder:7b", prompt="def add", system="code only")
    assert isinstance(whole, ollama.GenerateResponse)
    assert whole.response == "def add(a, b):\n    return a + b\n"
    assert whole.done_reason == "stop"
    assert whole.context
    parts = list(client.generate(model="qwen2.5-coder:7b", prompt="def add", stream=True))
    assert "".join(p.response for p in parts) == "again"
    assert parts[-1].done is True
    assert parts[-1].eval_count > 0
    seen = stand_in.requests("/api/generate")[0]["seen_messages"]
    assert seen == [
        {"role": "system", "content": "code only"},
        {"role": "user", "content": "def add"},
    ]


def test_generate_cannot_carry_a_scripted_tool_call(stand_in):
    with pytest.raises(ollama.ResponseError) as caught:
        stand_in.client().generate(model="codellama:7b", prompt="x")
    assert caught.value.status_code == 500
    assert "tool calls" in caught.value.error


def test_admin_routes_expose_reset_and_replace_over_http(stand_in):
    admin = stand_in.base_url + "/_emulator"
    stand_in.client().generate(model="qwen2.5-coder:7b", prompt="first")
    records = httpx.get(admin + "/requests").json()["requests"]
    assert [(r["method"], r["path"], r["body"]["prompt"]) for r in records] == [
        ("POST", "/api/generate", "first")
    ]
    assert httpx.delete(admin + "/requests").status_code == 204
    assert httpx.get(admin + "/requests").json() == {"requests": []}

    replaced = httpx.put(admin + "/scenario", json={"models": [{"name": "solo", "script": ["hi"]}]})
    assert replaced.json() == {"models": ["solo:latest"]}
    assert httpx.get(admin + "/scenario").json()["models"][0]["name"] == "solo"
    assert stand_in.client().generate(model="solo", prompt="?").response == "hi"

    assert httpx.post(admin + "/reset").status_code == 204
    assert stand_in.client().generate(model="solo", prompt="?").response == "hi"

    refused = httpx.put(admin + "/scenario", json={"models": [{"name": "x", "scrpt": []}]})
    assert refused.status_code == 400
    assert "scrpt" in refused.json()["error"]


def test_unknown_paths_answer_like_ollamas_router(stand_in):
    response = httpx.get(stand_in.base_url + "/api/nothing-here")
    assert (response.status_code, response.text) == (404, "404 page not found")


def test_a_json_scenario_file_serves_the_same_as_a_dict(ollama_emulator, tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(SCENARIO))
    ollama_emulator.set_scenario(path)
    assert [m.model for m in ollama_emulator.client().list().models] == [
        "qwen2.5-coder:7b",
        "codellama:7b",
    ]
    bad = tmp_path / "bad.json"
    rule = {"when": {"last_tool_is": "x"}, "reply": "y"}
    bad.write_text(json.dumps({"models": [{"name": "m", "rules": [rule]}]}))
    with pytest.raises(ScenarioError, match="unknown conditions \\['last_tool_is'\\]"):
        ollama_emulator.set_scenario(bad)
