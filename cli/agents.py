"""`bzzz agents`: the live runners of the agents table (the mDNS of the original Bzzz)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "agents",
        help="list live agents (id, models, capacity, current tasks, last seen)",
        description=(
            "List the runners whose rows in the agents table have not expired. "
            "Configuration comes from the environment (`bzzz local env` for a local stack)."
        ),
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per agent")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import json
    import sys
    import time
    from dataclasses import asdict

    from bzzz.agents import live_agents
    from bzzz.config import load_settings
    from bzzz.errors import ConfigError
    from bzzz.store.models import bind

    try:
        bind(load_settings())
    except ConfigError as exc:
        print(f"bzzz agents: {exc}", file=sys.stderr)
        return 2
    now = time.time()
    agents = live_agents(now)
    if args.json:
        for agent in agents:
            print(json.dumps(asdict(agent), sort_keys=True))
        return 0
    if not agents:
        print("no live agents")
        return 0
    print(f"{'AGENT':<28} {'MODELS':<24} {'CAPACITY':>8}  {'LAST SEEN':>9}  TASKS")
    for agent in agents:
        tasks = ", ".join(agent.current_tasks) or "-"
        seen = f"{max(0.0, now - agent.last_seen):.0f}s ago"
        models = ",".join(agent.models) or "-"
        print(f"{agent.agent_id:<28} {models:<24} {agent.capacity:>8}  {seen:>9}  {tasks}")
    return 0
