"""The Ollama API contract document itself: a schema whose definitions cite Ollama's docs."""

from __future__ import annotations

import json

from infra.ollama_emulator.contract import CONTRACT_PATH, contract


def test_the_contract_is_a_valid_schema_citing_ollamas_docs():
    document = contract()
    described = {name for name, d in document["$defs"].items() if "$comment" in d}
    assert {"ChatResponse", "ChatStreamEvent", "GenerateResponse", "ListResponse"} <= described
    assert all("docs/api.md" in document["$defs"][name]["$comment"] for name in described)
    assert json.loads(CONTRACT_PATH.read_text())["$defs"].keys() == document["$defs"].keys()
