"""`bzzz dlq list|redrive`: what is in the dead-letter queues and why; moving it back.

    bzzz dlq list [QUEUE] [--json]
    bzzz dlq redrive QUEUE [--include-invalid]

QUEUE is work, status or escalation (the template's consumed queues). The logic
is bzzz.dead_letters'; configuration comes from the environment (`bzzz local
env` for a local stack).
"""

from __future__ import annotations

import argparse

from bzzz.config import QUEUES


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "dlq",
        help="list the dead-letter queues with each message's reason; redrive them",
        description=(
            "List each dead-letter queue's messages with why they are there (the schema "
            "error of an invalid message, or how often its consumer failed it), or move them "
            "back to their source queue (SQS StartMessageMoveTask where the backend has it, "
            "else receive, send, delete: each message exactly once)."
        ),
    )
    commands = parser.add_subparsers(dest="dlq_command", metavar="COMMAND", required=True)
    listing = commands.add_parser("list", help="every DLQ's messages and their reasons")
    listing.add_argument("queue", nargs="?", choices=sorted(QUEUES), help="only this one")
    listing.add_argument("--json", action="store_true", help="one JSON object per message")
    listing.set_defaults(func=_list)
    moving = commands.add_parser("redrive", help="move a DLQ's messages back to its queue")
    moving.add_argument("queue", choices=sorted(QUEUES))
    moving.add_argument(
        "--include-invalid", action="store_true",
        help="also move messages that failed validation (they come straight back)",
    )  # fmt: skip
    moving.set_defaults(func=_redrive)


def _settings(command: str) -> object | None:
    import sys

    from bzzz.config import load_settings
    from bzzz.errors import ConfigError

    try:
        return load_settings()
    except ConfigError as exc:
        print(f"bzzz dlq {command}: {exc}", file=sys.stderr)
        return None


def _list(args: argparse.Namespace) -> int:
    import json
    import sys
    from dataclasses import asdict

    from bzzz.config import Settings
    from bzzz.dead_letters import DeadLetters
    from bzzz.errors import BzzzError

    settings = _settings("list")
    if not isinstance(settings, Settings):
        return 2
    letters = DeadLetters(settings)
    queues = [args.queue] if args.queue else letters.queues()
    try:
        listed = [letters.inspect(queue) for queue in queues]
    except BzzzError as exc:
        print(f"bzzz dlq list: {exc}", file=sys.stderr)
        return 1
    for dlq in listed:
        if args.json:
            for message in dlq.messages:
                print(json.dumps(asdict(message), sort_keys=True))
            continue
        print(f"{dlq.queue}: {dlq.depth} message(s) in its dead-letter queue")
        for m in dlq.messages:
            print(
                f"  {m.message_id}  {m.type:<16} {m.task or '-':<28} x{m.receive_count}  {m.reason}"
            )
        hidden = dlq.depth - len(dlq.messages)
        if hidden > 0:
            print(f"  ({hidden} more behind those of the same task: FIFO shows one batch a task)")
    return 0


def _redrive(args: argparse.Namespace) -> int:
    import sys

    from bzzz.config import Settings
    from bzzz.dead_letters import redrive
    from bzzz.errors import BzzzError

    settings = _settings("redrive")
    if not isinstance(settings, Settings):
        return 2
    try:
        result = redrive(settings, args.queue, include_invalid=args.include_invalid)
    except BzzzError as exc:
        print(f"bzzz dlq redrive: {exc}", file=sys.stderr)
        return 1
    if result.move_task is not None:
        print(f"{args.queue}: SQS is moving the messages back (task {result.move_task})")
    else:
        print(f"{args.queue}: {result.moved} message(s) moved back to the {args.queue} queue")
    if result.kept_invalid:
        print(f"{args.queue}: {result.kept_invalid} invalid message(s) kept (--include-invalid)")
    return 0
