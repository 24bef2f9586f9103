"""Picking the reply to a request: matching rules first, then the script, then the fallback."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.ollama_emulator.errors import ScriptError
from infra.ollama_emulator.matching import matches
from infra.ollama_emulator.replies import Reply
from infra.ollama_emulator.scenario import ModelSpec, Scenario


@dataclass(frozen=True)
class Choice:
    reply: Reply
    source: str  # "rule 0", "script 2" or "fallback": recorded, so a test can see why


class ReplyChooser:
    """Per-model position in the script and per-rule use counts; safe across threads."""

    def __init__(self, scenario: Scenario) -> None:
        self._lock = threading.Lock()
        self._scenario = scenario
        self._cursor: dict[str, int] = {}
        self._fired: dict[tuple[str, int], int] = {}

    def replace(self, scenario: Scenario) -> None:
        with self._lock:
            self._scenario = scenario
            self._cursor.clear()
            self._fired.clear()

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    def choose(
        self, model: ModelSpec, messages: Sequence[Mapping[str, Any]], tools_offered: bool
    ) -> Choice:
        with self._lock:
            for index, rule in enumerate(model.rules):
                used = self._fired.get((model.name, index), 0)
                if rule.times is not None and used >= rule.times:
                    continue
                if matches(rule.when, messages, tools_offered):
                    self._fired[(model.name, index)] = used + 1
                    return Choice(rule.reply, f"rule {index}")
            position = self._cursor.get(model.name, 0)
            if position < len(model.script):
                self._cursor[model.name] = position + 1
                return Choice(model.script[position], f"script {position}")
            if model.fallback is not None:
                return Choice(model.fallback, "fallback")
        raise ScriptError(
            f"no reply left for model {model.name}: no rule matched, the script's "
            f"{len(model.script)} replies are used up, and there is no fallback"
        )
