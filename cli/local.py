"""`bzzz local up|env|status|down`: the embedded local AWS backend.

`up` starts moto server (and DynamoDB Local if asked) unless AWS_ENDPOINT_URL
is set, provisions template.yaml's resources, prints their health and the
`export` lines, then either waits for Ctrl-C and stops everything, or with
`--detach` leaves the servers running and records them in .bzzz/local.json.
Heavy modules (boto3, moto's dependencies) are imported inside the commands.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

_Command = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    local = subparsers.add_parser("local", help="the local AWS backend (moto, DynamoDB Local)")
    commands = local.add_subparsers(dest="local_command", metavar="COMMAND", required=True)

    up = commands.add_parser("up", help="start the servers and create template.yaml's resources")
    up.add_argument(
        "--dynamodb",
        choices=("moto", "dynamodb-local"),
        default=None,
        help="DynamoDB backend (default: BZZZ_LOCAL_DYNAMODB, else moto)",
    )
    up.add_argument("--stack", default="bzzz-local", help="stack name (resource name prefix)")
    up.add_argument("--template", default=None, help="default: the repository's template.yaml")
    up.add_argument(
        "--detach", action="store_true", help="leave the servers running; stop with `down`"
    )
    up.set_defaults(func=_guarded(_up))

    env = commands.add_parser("env", help="print the export lines of the detached stack")
    env.set_defaults(func=_guarded(_env))
    status = commands.add_parser("status", help="print the detached stack's health")
    status.set_defaults(func=_guarded(_status))
    down = commands.add_parser("down", help="stop the detached servers")
    down.set_defaults(func=_guarded(_down))


def _guarded(command: _Command) -> _Command:
    """Our errors become one line on stderr and exit status 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        from bzzz.errors import BzzzError

        try:
            return command(args)
        except BzzzError as exc:
            print(f"bzzz local: {exc}", file=sys.stderr)
            return 1

    return run


def _up(args: argparse.Namespace) -> int:
    from infra.local_backend import LocalBackend, export_lines
    from infra.local_backend.detached import save, state_file

    if args.detach and state_file().exists():
        print(
            f"bzzz local: {state_file()} exists: a detached stack may be running; "
            "run `bzzz local down` first",
            file=sys.stderr,
        )
        return 1
    backend = LocalBackend(
        template=args.template,
        stack_name=args.stack,
        dynamodb=args.dynamodb,
        log_dir=state_file().parent,  # server logs next to the record, not in /tmp
    )
    try:
        env = backend.start()
        for server in backend.servers:
            print(f"{server.name}: {server.url} (pid {server.pid}, log {server.log_path})")
        _print_health(env)
        print("\n".join(export_lines(env)))
        if args.detach:
            backend.detach()
            print(f"# detached; recorded in {save(backend.servers, env, args.stack)}")
            return 0
        print("# running; Ctrl-C stops the servers", file=sys.stderr, flush=True)
        while all(server.process.poll() is None for server in backend.servers):
            time.sleep(0.5)
        print("bzzz local: a server exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        if not args.detach:
            backend.stop()


def _env(args: argparse.Namespace) -> int:
    from infra.local_backend import export_lines
    from infra.local_backend.detached import load

    print("\n".join(export_lines(load()["env"])))
    return 0


def _status(args: argparse.Namespace) -> int:
    from infra.local_backend.detached import load

    record: dict[str, Any] = load()
    for server in record.get("servers", []):
        print(f"{server['name']}: {server['url']} (pid {server['pid']})")
    _print_health(record["env"])
    return 0


def _down(args: argparse.Namespace) -> int:
    from infra.local_backend.detached import stop_detached

    stopped = stop_detached()
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def _print_health(env: dict[str, str]) -> None:
    from infra.local_backend.health import format_health, health

    print(format_health(health(env)), flush=True)
