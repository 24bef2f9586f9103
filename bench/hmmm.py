"""Plan review latency: time from publishing `hmmm.plan` to the last peer's `hmmm.feedback`.

For N peers (1, 2, 4) on the local stack, each a Participant whose reviewer is
its own scripted model on the Ollama stand-in, the author publishes a plan and
waits for all N answers; R rounds per N. The baseline, in the same run, is one
bare round trip the review cannot do without: publish one hmmm message on the
topic and receive it from a peer queue (SNS FIFO -> SQS FIFO). A review round
costs at least two of those (plan out, feedback back) plus the model call and
the thread rows.

    .venv/bin/python bench/hmmm.py [--rounds 10] [--peers 1,2,4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

# Run as a script, bench/ is first on sys.path and bench/runner.py would shadow
# the runner package: look in the repository root first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bzzz import agents
from bzzz.bus import Bus
from bzzz.config import Settings
from bzzz.hmmm import Participant
from bzzz.hmmm.peer_queues import PeerQueues
from bzzz.messages import Envelope, MessageType
from infra.local_backend import LocalBackend
from infra.ollama_emulator import start_in_thread
from runner.agent.model import Model
from runner.hmmm import make_reviewer

SCENARIO = {
    "models": [
        {"name": "critic:7b", "rules": [{"when": {"system_contains": "reviewing"},
                                         "reply": "APPROVE: the plan fixes the bug."}]},
    ]
}  # fmt: skip


def figures(label: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    print(
        f"{label:<34} median {statistics.median(ordered) * 1000:7.1f} ms   "
        f"p90 {p90 * 1000:7.1f} ms   (n={len(ordered)})"
    )


def baseline(settings: Settings, rounds: int) -> list[float]:
    queues = PeerQueues(settings)
    queue = queues.create(f"bench-baseline-{uuid.uuid4().hex[:6]}")
    bus = Bus(settings)
    took = []
    try:
        for _ in range(rounds):
            envelope = Envelope(MessageType.HMMM_PLAN, "bench", "bench/repo#1",
                                {"round": 1, "text": "plan"})  # fmt: skip
            start = time.perf_counter()
            bus.publish(envelope)
            got: list[str] = []
            while envelope.id not in got:
                for found, receipt in queues.receive(queue, wait_seconds=5):
                    got.append(found.id)
                    queues.ack(queue, receipt)
            took.append(time.perf_counter() - start)
    finally:
        queues.delete(queue)
    return took


def review(settings: Settings, host: str, peers: int, rounds: int) -> list[float]:
    bus = Bus(settings)
    author = Participant(settings, "bench-author", bus, reviewer=lambda e: None, wait_seconds=60)
    reviewers = [
        Participant(
            settings, f"bench-peer-{i}", bus, reviewer=make_reviewer(Model("critic:7b", host=host))
        )
        for i in range(peers)
    ]
    for participant in [author, *reviewers]:
        agents.register(participant.agent_id, models=["critic:7b"])
        participant.start()
    took = []
    try:
        for index in range(rounds):
            start = time.perf_counter()
            got = author.ask_for_review(f"bench/repo#{peers * 1000 + index}", "1. Fix it")
            took.append(time.perf_counter() - start)
            assert len(got) == peers, f"{len(got)} of {peers} peers answered"
    finally:
        for participant in [author, *reviewers]:
            participant.stop()
            agents.deregister(participant.agent_id)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--peers", default="1,2,4")
    args = parser.parse_args()
    with LocalBackend() as backend, start_in_thread(SCENARIO) as ollama:
        _, settings = backend.use(f"bench-{uuid.uuid4().hex[:8]}")
        print(f"backend: moto at {settings.endpoint_url('sqs')}; models: Ollama stand-in")
        figures("baseline: publish -> peer queue", baseline(settings, args.rounds))
        for peers in (int(p) for p in args.peers.split(",")):
            figures(f"plan -> last feedback, {peers} peer(s)", review(
                settings, ollama.base_url, peers, args.rounds))  # fmt: skip


if __name__ == "__main__":
    main()
