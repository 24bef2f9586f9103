"""Everything the stand-in remembers: the scenario's progress, loaded models, the request log."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from infra.ollama_emulator.completion_bodies import timestamp
from infra.ollama_emulator.faults import ModelFaults
from infra.ollama_emulator.loaded_models import LoadedModels
from infra.ollama_emulator.reply_choice import ReplyChooser
from infra.ollama_emulator.scenario import Scenario


class RequestLog:
    """Every Ollama API exchange, in arrival order, for tests to assert what the model saw.

    A record holds the request (`method`, `path`, `body`), the answer (`status`,
    `response` or, when streamed, `chunks`), and for completions the `model`,
    the `reply_source` (which rule or script step answered), the `context`
    window figures and `seen_messages` (the conversation after truncation).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            record = {"id": next(self._ids), "received_at": timestamp(), **record}
            self._records.append(record)
            return record

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._records]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


class EmulatorState:
    def __init__(self, scenario: Scenario) -> None:
        self.chooser = ReplyChooser(scenario)
        self.loaded = LoadedModels()
        self.log = RequestLog()
        self.faults = ModelFaults()

    @property
    def scenario(self) -> Scenario:
        return self.chooser.scenario

    def replace(self, scenario: Scenario) -> None:
        """A new scenario starts from a clean slate: no progress, no models loaded, no log."""
        self.chooser.replace(scenario)
        self.loaded.clear()
        self.log.clear()

    def reset(self) -> None:
        self.replace(self.scenario)
