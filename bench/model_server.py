"""How fast the local real model is on this machine: load time, prompt and generation speed.

Starts infra/model_server (installing and fetching on first use), then sends the same
chat N times through the OpenAI-compatible API, each a fresh prompt of the agent's size
(the system prompt and the tool schemas the runner sends), and prints the server's own
timings (llama.cpp reports prompt and generated tokens per second) next to the wall time
of each request. Baseline in the same run: a one-token reply, the floor of a request.

    .venv/bin/python bench/model_server.py [--model qwen2.5-coder-0.5b] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import httpx

from infra.model_server import DEFAULT_MODEL, MODELS, start_model_server
from runner.agent.prompts import system_prompt
from runner.agent.tools import tool_schemas

ISSUE = (
    "word_count miscounts text with extra spaces: word_count('hello   world') returns 4 "
    "instead of 2. Find the function, fix it with the smallest change, run the tests."
)


def _chat(url: str, model: str, *, nonce: int, max_tokens: int) -> dict[str, Any]:
    body = {
        "model": model,
        "messages": [
            # A nonce first: the server's prompt cache must not answer from the last round.
            {"role": "system", "content": f"[{nonce}] " + system_prompt(True)},
            {"role": "user", "content": ISSUE},
        ],
        "tools": tool_schemas(),
        "max_tokens": max_tokens,
        "stream": False,
    }
    started = time.monotonic()
    reply = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=600)
    reply.raise_for_status()
    data: dict[str, Any] = reply.json()
    data["wall"] = time.monotonic() - started
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    began = time.monotonic()
    server = start_model_server(args.model, tied=True)
    print(f"{server.alias} ready at {server.url} in {time.monotonic() - began:.1f} s "
          f"(cores: {os.cpu_count()}, load {os.getloadavg()[0]:.1f})")  # fmt: skip
    try:
        floor = _chat(server.url, server.alias, nonce=-1, max_tokens=1)
        print(f"baseline, a 1-token reply: {floor['wall']:.1f} s "
              f"({floor['usage']['prompt_tokens']} prompt tokens)")  # fmt: skip
        prompt, generated, walls = [], [], []
        for n in range(args.rounds):
            data = _chat(server.url, server.alias, nonce=n, max_tokens=256)
            timings = data.get("timings") or {}
            prompt.append(float(timings.get("prompt_per_second") or 0))
            generated.append(float(timings.get("predicted_per_second") or 0))
            walls.append(data["wall"])
            print(f"round {n + 1}: {data['usage']['prompt_tokens']} prompt tokens at "
                  f"{prompt[-1]:.0f}/s, {data['usage']['completion_tokens']} generated at "
                  f"{generated[-1]:.1f}/s, {walls[-1]:.1f} s")  # fmt: skip
        print(f"median: prompt {statistics.median(prompt):.0f} tokens/s, generation "
              f"{statistics.median(generated):.1f} tokens/s, {statistics.median(walls):.1f} s "
              "per request")  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
