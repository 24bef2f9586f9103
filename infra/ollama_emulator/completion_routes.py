"""/api/chat and /api/generate: check as Ollama does, fit the window, answer per scenario."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import jsonschema

from infra.ollama_emulator.completion_bodies import Completion, load_body
from infra.ollama_emulator.context_window import (
    Fit,
    effective_num_ctx,
    estimate_tokens,
    fit_messages,
    fit_prompt,
)
from infra.ollama_emulator.errors import ScriptError, bad_request, model_not_found
from infra.ollama_emulator.exchange import Outcome
from infra.ollama_emulator.loaded_models import parse_keep_alive
from infra.ollama_emulator.replies import Reply
from infra.ollama_emulator.scenario import ModelSpec
from infra.ollama_emulator.state import EmulatorState


def _model(state: EmulatorState, body: Any) -> ModelSpec:
    if not isinstance(body, dict):
        raise bad_request("invalid request body: expected a JSON object")
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise bad_request("model is required")
    model = state.scenario.model(name)
    if model is None:
        raise model_not_found(name)
    return model


def _check_capabilities(model: ModelSpec, body: Mapping[str, Any], name: str) -> None:
    # Ollama refuses, with 400, a feature the model's capabilities do not list.
    if body.get("tools") and not model.supports_tools:
        raise bad_request(f"registry.ollama.ai/library/{name} does not support tools")
    if body.get("think") not in (None, False) and "thinking" not in model.capabilities:
        raise bad_request(f'"{name}" does not support thinking')


def _content(reply: Reply, messages: Sequence[Mapping[str, Any]]) -> str:
    if reply.nothing == "empty":
        return ""
    if reply.nothing == "repeat":
        previous = [m for m in messages if m.get("role") == "assistant"]
        return str(previous[-1].get("content") or "") if previous else reply.text
    return reply.text


def _check_format(fmt: Any, content: str) -> None:
    """A model under `format` only emits matching JSON; a script that does not is a test bug."""
    if fmt in (None, "") or not content:
        return
    try:
        value = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ScriptError("the scripted reply is not JSON, yet the request set `format`") from exc
    if isinstance(fmt, dict):
        try:
            jsonschema.validate(value, fmt)
        except jsonschema.ValidationError as exc:
            raise ScriptError(f"the scripted reply does not match `format`: {exc.message}") from exc


def _limit(content: str, options: Mapping[str, Any] | None) -> tuple[str, str]:
    """options.num_predict caps the reply; Ollama then says done_reason "length"."""
    limit = (options or {}).get("num_predict")
    if isinstance(limit, int) and 0 < limit < estimate_tokens(content):
        return content[: limit * 4], "length"
    return content, "stop"


def _notes(model: ModelSpec, fit: Fit, source: str, reply: Reply) -> dict[str, Any]:
    return {
        "model": model.name,
        "context": fit.to_record(),
        "seen_messages": fit.messages,
        "reply_source": source,
        "reply_kind": reply.describe(),
    }


def _stream(chunks: list[dict[str, Any]], reply: Reply, notes: dict[str, Any]) -> Outcome:
    if reply.error is not None:
        # A failure after streaming began: Ollama ends the 200 stream with an error line.
        chunks = [*chunks[:-1], {"error": reply.error}]
    return Outcome(chunks=chunks, delay=reply.delay, notes=notes)


async def chat(state: EmulatorState, body: Any) -> Outcome:
    model = _model(state, body)
    name = body["model"]
    _check_capabilities(model, body, name)
    messages = body.get("messages") or []
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages
    ):
        # Ollama's JSON decoding refuses these with 400 before any model runs.
        raise bad_request("messages must be a list of objects with a role")
    options = body.get("options")
    num_ctx = effective_num_ctx(model, options)
    if not messages:
        reason = "unload" if parse_keep_alive(body.get("keep_alive")) == timedelta(0) else "load"
        state.loaded.touch(model, body.get("keep_alive"), num_ctx)
        return Outcome(body=load_body(name, reason, chat=True), notes={"model": model.name})
    fit = fit_messages(messages, body.get("tools"), num_ctx, state.scenario.context_overflow)
    cold = state.loaded.touch(model, body.get("keep_alive"), num_ctx)
    choice = state.chooser.choose(model, fit.messages, tools_offered=bool(body.get("tools")))
    reply = choice.reply
    notes = _notes(model, fit, choice.source, reply)
    streaming = body.get("stream", True) is not False
    if reply.error is not None and not (reply.mid_stream and streaming):
        return Outcome(reply.status, {"error": reply.error}, delay=reply.delay, notes=notes)
    content, done_reason = _limit(_content(reply, messages), options)
    if not reply.tool_calls and reply.error is None:
        _check_format(body.get("format"), content)
    calls = [c.to_wire() for c in reply.tool_calls]
    completion = Completion(
        model=name,
        content=content,
        prompt_tokens=fit.prompt_tokens,
        eval_tokens=max(1, estimate_tokens(content + json.dumps(calls) if calls else content)),
        thinking=reply.thinking if body.get("think") else None,
        tool_calls=calls,
        done_reason=done_reason,
        cold_start=cold,
        waited_ns=int(reply.delay * 1e9),
    )
    if not streaming:
        return Outcome(body=completion.chat_body(), delay=reply.delay, notes=notes)
    return _stream(completion.chat_chunks(), reply, notes)


async def generate(state: EmulatorState, body: Any) -> Outcome:
    model = _model(state, body)
    name = body["model"]
    _check_capabilities(model, body, name)
    options = body.get("options")
    num_ctx = effective_num_ctx(model, options)
    prompt = body.get("prompt") or ""
    if not prompt:
        reason = "unload" if parse_keep_alive(body.get("keep_alive")) == timedelta(0) else "load"
        state.loaded.touch(model, body.get("keep_alive"), num_ctx)
        return Outcome(body=load_body(name, reason, chat=False), notes={"model": model.name})
    fit = fit_prompt(prompt, body.get("system"), num_ctx, state.scenario.context_overflow)
    cold = state.loaded.touch(model, body.get("keep_alive"), num_ctx)
    choice = state.chooser.choose(model, fit.messages, tools_offered=False)
    reply = choice.reply
    notes = _notes(model, fit, choice.source, reply)
    streaming = body.get("stream", True) is not False
    if reply.error is not None and not (reply.mid_stream and streaming):
        return Outcome(reply.status, {"error": reply.error}, delay=reply.delay, notes=notes)
    if reply.tool_calls:
        raise ScriptError(f"{choice.source} answers with tool calls, which /api/generate lacks")
    content, done_reason = _limit(_content(reply, []), options)
    if reply.error is None:
        _check_format(body.get("format"), content)
    completion = Completion(
        model=name,
        content=content,
        prompt_tokens=fit.prompt_tokens,
        eval_tokens=max(1, estimate_tokens(content)),
        thinking=reply.thinking if body.get("think") else None,
        done_reason=done_reason,
        cold_start=cold,
        waited_ns=int(reply.delay * 1e9),
    )
    with_context = not body.get("raw")
    if not streaming:
        return Outcome(body=completion.generate_body(with_context), delay=reply.delay, notes=notes)
    return _stream(completion.generate_chunks(with_context), reply, notes)
