"""The agent loop's own cost per iteration, excluding the model's and the command's time.

Runs the real loop (runner.agent.loop.Agent) for N iterations against the Ollama
stand-in over HTTP, whose model answers instantly with `run_command("true")`,
in a real sandbox. Every model call and every sandbox command is timed where
the agent makes it; what is left of the wall time, divided by N, is the
orchestration overhead (history fit, token estimate, tool dispatch, loop
detection, step records, the trajectory rewritten after every step). Aim:
<= 50 ms per iteration (issue 5).

Baselines in the same run: a bare `ollama.Client.chat` round trip to the same
stand-in, and a bare `Sandbox.run("true")`, so the subtracted figures can be
judged against the floor of each part.

    .venv/bin/python bench/agent_overhead.py [--iterations 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from infra.container_engine import container_engine
from infra.ollama_emulator.server import start_in_thread
from runner.agent.budgets import Budgets
from runner.agent.loop import Agent
from runner.agent.model import Model, ModelReply
from runner.agent.types import TaskBrief
from runner.sandbox.container import CommandResult, Sandbox, SandboxConfig, reap_orphans
from runner.sandbox.images.build import ensure_default_image

RUNNER_ID = "bench-agent"
SCENARIO = {
    "models": [
        {
            "name": "instant:1b",
            "capabilities": ["completion", "tools"],
            "context_length": 32768,
            "fallback": {"tool_calls": [{"name": "run_command", "arguments": {"command": "true"}}]},
        }
    ]
}
TASK = TaskBrief("acme/calc#1", "acme/calc", 1, "Bench", "Run `true` forever.\n" * 20)


class TimedModel(Model):
    """The real model client; only adds up the time spent inside `chat`."""

    spent = 0.0

    def chat(self, messages: Any, tools: Any = None, *, timeout: float | None = None) -> ModelReply:
        start = time.perf_counter()
        try:
            return super().chat(messages, tools, timeout=timeout)
        finally:
            self.spent += time.perf_counter() - start


class TimedSandbox:
    """The real sandbox; only adds up the time spent inside `run`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.config, self.spent = sandbox, sandbox.config, 0.0

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        start = time.perf_counter()
        try:
            return self.sandbox.run(command, timeout)
        finally:
            self.spent += time.perf_counter() - start


def one_round(host: str, sandbox: Sandbox, iterations: int, trajectory: Path) -> dict[str, float]:
    model = TimedModel("instant:1b", host=host, num_ctx=32768)
    model.check()
    timed = TimedSandbox(sandbox)
    budgets = Budgets(iterations=iterations, repeat_limit=iterations + 1, tokens=10**9)
    agent = Agent(model, timed, TASK, budgets, trajectory_path=trajectory)  # type: ignore[arg-type]
    start = time.perf_counter()
    outcome = agent.run()
    total = time.perf_counter() - start
    assert outcome.limit == "iterations", outcome
    overhead = total - model.spent - timed.spent
    return {
        "total": total / iterations,
        "model": model.spent / iterations,
        "command": timed.spent / iterations,
        "overhead": overhead / iterations,
    }


def bare(samples: int, action: Any) -> float:
    action()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with (
        container_engine() as engine,
        start_in_thread(SCENARIO) as emulator,
        tempfile.TemporaryDirectory() as tmp,
    ):
        client = engine.client()
        image = ensure_default_image(client)
        config = SandboxConfig(image=image)
        try:
            with Sandbox(
                client, Path(tmp), runner_id=RUNNER_ID, task_key="bench#1", config=config
            ) as box:
                rounds = [
                    one_round(emulator.base_url, box, args.iterations, Path(tmp) / "traj.json")
                    for _ in range(args.rounds)
                ]
                chat = emulator_chat(emulator.base_url)
                bare_chat = bare(20, chat)
                bare_run = bare(20, lambda: box.run("true"))
        finally:
            reap_orphans(client, RUNNER_ID)
    print(f"agent loop, {args.iterations} iterations x {args.rounds} rounds (median per iteration)")
    for key in ("total", "model", "command", "overhead"):
        value = statistics.median(r[key] for r in rounds)
        print(f"  {key:<10} {value * 1000:8.2f} ms")
    print("baselines (median of 20)")
    print(f"  bare ollama chat round trip   {bare_chat * 1000:8.2f} ms")
    print(f"  bare sandbox run('true')      {bare_run * 1000:8.2f} ms")
    worst = max(r["overhead"] for r in rounds)
    print(f"overhead per iteration: worst round {worst * 1000:.2f} ms (aim <= 50 ms)")


def emulator_chat(host: str) -> Any:
    import ollama

    client = ollama.Client(host=host)
    messages = [{"role": "user", "content": "go"}]

    def chat() -> None:
        client.chat(model="instant:1b", messages=messages, options={"num_ctx": 32768})

    return chat


if __name__ == "__main__":
    main()
