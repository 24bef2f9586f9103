"""Scenarios: which models the stand-in serves and what each of them answers.

A scenario is a dict (or the same thing as a YAML/JSON file):

    version: "0.12.6"              # what /api/version reports
    context_overflow: truncate     # or "error"; see context_window.py
    models:
      - name: qwen2.5-coder:7b
        family: qwen2
        parameter_size: 7.6B
        context_length: 32768      # the model's trained window (/api/show)
        default_num_ctx: 4096      # window used when a request sets no options.num_ctx
        capabilities: [completion, tools]
        rules:                     # tried first, in order; the first match answers
          - when: {last_tool_contains: FAILED}
            times: 2               # optional: fire at most twice
            reply: {tool_calls: [{name: read_file, arguments: {path: calc.py}}]}
        script:                    # then the next unused scripted reply
          - "plain text reply"
          - {tool_calls: [{name: run_command, arguments: {command: pytest}}]}
        fallback: {nothing: repeat} # once the script is used up; without one, a 500

Replies are parsed by `replies.parse_reply`; conditions by `matching.parse_conditions`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.ollama_emulator.errors import ScenarioError
from infra.ollama_emulator.matching import Conditions, parse_conditions
from infra.ollama_emulator.replies import Reply, parse_reply

OVERFLOW_MODES = ("truncate", "error")
_MODEL_KEYS = {
    "name",
    "family",
    "parameter_size",
    "quantization_level",
    "context_length",
    "default_num_ctx",
    "capabilities",
    "rules",
    "script",
    "fallback",
}


def canonical_name(name: str) -> str:
    """Ollama's default tag: `llama3.2` and `llama3.2:latest` are one model."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


@dataclass(frozen=True)
class Rule:
    when: Conditions
    reply: Reply
    times: int | None = None  # None: fires every time it matches


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: str
    parameter_size: str
    quantization_level: str
    context_length: int
    default_num_ctx: int
    capabilities: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    script: tuple[Reply, ...] = ()
    fallback: Reply | None = None

    @property
    def supports_tools(self) -> bool:
        return "tools" in self.capabilities


@dataclass(frozen=True)
class Scenario:
    models: tuple[ModelSpec, ...]
    version: str = "0.12.6"
    context_overflow: str = "truncate"
    source: dict[str, Any] = field(default_factory=dict, compare=False)

    def model(self, name: str) -> ModelSpec | None:
        wanted = canonical_name(name)
        return next((m for m in self.models if m.name == wanted), None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        if not isinstance(data, dict):
            raise ScenarioError("a scenario is a mapping with a `models` list")
        unknown = set(data) - {"models", "version", "context_overflow"}
        if unknown:
            raise ScenarioError(f"unknown scenario keys: {sorted(unknown)}")
        models = data.get("models")
        if not isinstance(models, list) or not models:
            raise ScenarioError("a scenario needs a non-empty `models` list")
        overflow = str(data.get("context_overflow", "truncate"))
        if overflow not in OVERFLOW_MODES:
            raise ScenarioError(f"context_overflow must be one of {OVERFLOW_MODES}")
        specs = tuple(_parse_model(m) for m in models)
        names = [m.name for m in specs]
        if len(set(names)) != len(names):
            raise ScenarioError(f"model names repeat: {names}")
        return cls(
            models=specs,
            version=str(data.get("version", "0.12.6")),
            context_overflow=overflow,
            source=data,
        )


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a .yaml/.yml or .json file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: not valid {path.suffix[1:]}: {exc}") from exc
    return Scenario.from_dict(data)


def _parse_model(data: Any) -> ModelSpec:
    if not isinstance(data, dict) or "name" not in data:
        raise ScenarioError(f"each model needs at least a name: {data!r}")
    unknown = set(data) - _MODEL_KEYS
    if unknown:
        raise ScenarioError(f"model {data['name']}: unknown keys {sorted(unknown)}")
    capabilities = tuple(data.get("capabilities", ["completion"]))
    context_length = int(data.get("context_length", 32768))
    fallback = data.get("fallback")
    return ModelSpec(
        name=canonical_name(str(data["name"])),
        family=str(data.get("family", "llama")),
        parameter_size=str(data.get("parameter_size", "7B")),
        quantization_level=str(data.get("quantization_level", "Q4_K_M")),
        context_length=context_length,
        default_num_ctx=int(data.get("default_num_ctx", min(4096, context_length))),
        capabilities=capabilities,
        rules=tuple(_parse_rule(r) for r in data.get("rules", [])),
        script=tuple(parse_reply(r) for r in data.get("script", [])),
        fallback=None if fallback is None else parse_reply(fallback),
    )


def _parse_rule(data: Any) -> Rule:
    if not isinstance(data, dict) or "when" not in data or "reply" not in data:
        raise ScenarioError(f"a rule is {{when: {{...}}, reply: ...}}: {data!r}")
    unknown = set(data) - {"when", "reply", "times"}
    if unknown:
        raise ScenarioError(f"rule: unknown keys {sorted(unknown)}")
    times = data.get("times")
    return Rule(
        when=parse_conditions(data["when"]),
        reply=parse_reply(data["reply"]),
        times=None if times is None else int(times),
    )
