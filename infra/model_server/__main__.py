"""`python -m infra.model_server up|fetch`: a real small model on this machine, for users.

up      install, fetch, start; print the runner's settings; serve until Ctrl-C
fetch   install xllamacpp and fetch the verified weights; print the file's path
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from infra.local_backend.errors import LocalBackendError
from infra.model_server.server import fetch, start_model_server
from infra.model_server.weights import DEFAULT_MODEL, MODELS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.model_server", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    for action in ("up", "fetch"):
        one = sub.add_parser(action)
        one.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
        if action == "up":
            one.add_argument("--port", type=int, help="default: a free loopback port")
    args = parser.parse_args(argv)
    try:
        if args.action == "fetch":
            print(fetch(args.model)[1])
            return 0
        server = start_model_server(args.model, port=args.port)
    except LocalBackendError as exc:
        print(f"model server: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    print(f"model server: {server.url} serving {server.alias} (Ctrl-C stops it)")
    for key, value in server.env().items():
        print(f"export {key}={value}")
    sys.stdout.flush()
    while not stop.wait(1.0):
        if server.process.process.poll() is not None:
            print(f"model server exited (log {server.process.log_path})", file=sys.stderr)
            return 1
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
