"""How the model's context window (`num_ctx`) is chosen: as configured, else sized from what
the model reports in /api/show, at most BZZZ_MAX_NUM_CTX. A stand-in for the `ollama` client
object answers `show` and records `chat`; nothing is contacted."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bzzz.errors import ConfigError
from runner.agent.model import DEFAULT_NUM_CTX, Model
from runner.config import load_runner_settings


class Client:
    def __init__(self, context_length: int | None) -> None:
        info = {"qwen2.context_length": context_length} if context_length else {}
        self.shown = SimpleNamespace(capabilities=["completion", "tools"], modelinfo=info)
        self.options: list[dict[str, Any]] = []

    def show(self, name: str) -> Any:
        return self.shown

    def chat(self, **request: Any) -> Any:
        self.options.append(request["options"])
        message = SimpleNamespace(content="hi", tool_calls=None)
        return SimpleNamespace(message=message, prompt_eval_count=3, eval_count=1)


@pytest.mark.parametrize(
    ("configured", "trained", "expected"),
    [
        (None, 131_072, 32_768),  # a long-context model: capped (GPU memory)
        (None, 4_096, 4_096),  # a short one: its own window, not a silently cut 8192
        (None, None, DEFAULT_NUM_CTX),  # the model does not say
        (16_384, 131_072, 16_384),  # configured wins
    ],
)
def test_num_ctx_is_sized_from_the_model_unless_configured(configured, trained, expected):
    client = Client(trained)
    model = Model("m:7b", num_ctx=configured, max_num_ctx=32_768, client=client)
    model.check()
    model.chat([{"role": "user", "content": "x"}])
    assert model.num_ctx == expected and client.options[-1]["num_ctx"] == expected


def test_before_check_the_default_is_used():
    assert Model("m:7b", client=Client(131_072)).num_ctx == DEFAULT_NUM_CTX


@pytest.mark.parametrize(("raw", "expected"), [("", None), ("auto", None), ("16384", 16384)])
def test_bzzz_num_ctx_is_auto_by_default(raw, expected):
    settings = load_runner_settings({"BZZZ_MODEL": "m:7b", "BZZZ_NUM_CTX": raw})
    assert settings.num_ctx == expected


def test_a_bad_bzzz_num_ctx_names_the_variable():
    with pytest.raises(ConfigError, match="BZZZ_NUM_CTX"):
        load_runner_settings({"BZZZ_MODEL": "m:7b", "BZZZ_NUM_CTX": "lots"})
