"""`bzzz demo`: Bzzz on the embedded local stack, start to finish, leaving nothing running.

Today it brings up the local AWS backend, creates every resource of
template.yaml, shows them healthy, and walks one task through the state
machine over the real bus (create -> claim by two racing agents -> start ->
complete), printing each message as status sync would receive it.
"""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="run Bzzz on the embedded local stack")
    parser.add_argument(
        "--dynamodb", choices=["moto", "dynamodb-local"], default=None, help="DynamoDB backend"
    )
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from bzzz.bus import Bus
    from bzzz.errors import BzzzError, TransitionError
    from bzzz.lifecycle import Lifecycle
    from bzzz.models import bind
    from infra.local_backend import LocalBackend
    from infra.local_backend.health import format_health, health

    try:
        with LocalBackend(stack_name="bzzz-demo", dynamodb=args.dynamodb) as backend:
            print("== local AWS backend")
            env = backend.start()
            # The AWS clients read credentials and endpoints from the process
            # environment, as they would from `bzzz local env` in a shell.
            os.environ.update(env)
            for server in backend.servers:
                print(f"{server.name}: {server.url}")
            print(format_health(health(env)))
            settings = backend.settings(env)
            bind(settings)
            bus = Bus(settings)
            lifecycle = Lifecycle(settings, publisher=bus)

            print("\n== one task through the state machine")
            task, _ = lifecycle.create("acme/calc", 1, "sum_to(n) leaves out n")
            print(f"created {task.key}: {task.state}")
            lifecycle.claim(task.key, "runner-a")
            try:
                lifecycle.claim(task.key, "runner-b")
            except TransitionError as refused:
                print(f"runner-b refused: {refused}")
            lifecycle.start(task.key, "runner-a")
            done = lifecycle.complete(task.key, "runner-a", "http://github.local/acme/calc/pull/2")
            print(f"{done.key}: {done.state} (version {done.version}) -> {done.pr_url}")

            print("\n== what status sync receives (SNS FIFO -> SQS FIFO, in order)")
            result = bus.drain("status", lambda e: print(f"  {e.type:<15} {e.task} by {e.sender}"))
            print(f"{result.handled} messages, {len(result.rejected)} rejected")
            print(format_health(health(env)))
        print("\nall servers stopped")
        return 0
    except BzzzError as exc:
        print(f"bzzz demo: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a demo prints one line, not a traceback
        print(f"bzzz demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
