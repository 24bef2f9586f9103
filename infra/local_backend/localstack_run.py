"""Run a command against LocalStack + DynamoDB Local, or keep the pair up until Ctrl-C.

    python -m infra.local_backend.localstack_run run -- pytest tests/integration
    python -m infra.local_backend.localstack_run up      # prints the environment

`run` gives the command AWS_ENDPOINT_URL (LocalStack) and
AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local), returns its exit status, and stops
both servers after it. The command runs in its own session, so a signal to
this launcher (Ctrl-C, SIGTERM, SIGHUP) reaches it once, as SIGINT, which lets
pytest tear its fixtures down; if this launcher is killed outright, the
command gets SIGINT from the kernel and both servers SIGTERM (lifetime.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from types import FrameType

from infra.local_backend.errors import LocalBackendError
from infra.local_backend.exports import export_lines
from infra.local_backend.lifetime import die_with_parent
from infra.local_backend.localstack import localstack_pair
from infra.local_backend.provision import provision

# How long an interrupted command may take to tear itself down before it is killed.
INTERRUPT_GRACE_SECONDS = 60.0


class _Stop(Exception):
    """A terminating signal arrived."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def run_command(command: list[str], env: Mapping[str, str]) -> int:
    """Run `command` with `env` added to this environment; its exit status."""
    child = subprocess.Popen(
        command,
        env={**os.environ, **env},
        start_new_session=True,
        # Only prctl and getppid run between fork and exec.
        preexec_fn=die_with_parent(signal.SIGINT),
    )
    try:
        return child.wait()
    except (_Stop, KeyboardInterrupt):
        child.send_signal(signal.SIGINT)
        try:
            child.wait(INTERRUPT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        return 130
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)  # whatever the command left in its session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run a command against the pair, then stop it")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    up = sub.add_parser("up", help="start the pair, print its environment, wait for Ctrl-C")
    up.add_argument("--stack", default="bzzz-local", help="the stack the init hook provisions")
    args = parser.parse_args(argv)
    command = list(getattr(args, "command", []))
    if command[:1] == ["--"]:
        command = command[1:]
    if args.action == "run" and not command:
        parser.error("run needs a command: run -- COMMAND [ARGS...]")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    try:
        with localstack_pair(getattr(args, "stack", "bzzz-local")) as env:
            if args.action == "run":
                return run_command(command, env)
            print("\n".join(export_lines(provision(env, args.stack).env)), flush=True)
            print("# LocalStack and DynamoDB Local are up; Ctrl-C stops both", file=sys.stderr)
            signal.pause()
    except LocalBackendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (_Stop, KeyboardInterrupt):
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
