"""`bzzz control-plane`: run the control plane's functions locally (cli/supervisor.py).

Needs a stack (`bzzz local up`, then the printed exports) and the GitHub
settings (`GITHUB_API_URL`, `GITHUB_TOKEN` or an app, `BZZZ_WEBHOOK_SECRET`).
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "control-plane",
        help="serve the HTTP app, run the reconcile poll and status sync locally",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--reconcile-every", type=float, default=300.0, metavar="SECONDS",
        help="reconcile poll period (AWS: the ReconcileSchedule parameter)",
    )  # fmt: skip
    parser.add_argument(
        "--drain-every", type=float, default=1.0, metavar="SECONDS",
        help="how often the status queue is drained",
    )  # fmt: skip
    parser.add_argument("--no-http", action="store_true", help="run only the poll and status sync")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from bzzz.config import get_settings
    from bzzz.errors import BzzzError
    from cli.supervisor import Supervisor, default_app

    try:
        settings = get_settings()
        supervisor = Supervisor(
            settings,
            app_factory=None if args.no_http else default_app,
            host=args.host,
            port=args.port,
            reconcile_every=args.reconcile_every,
            drain_every=args.drain_every,
        ).start()
    except BzzzError as exc:
        print(f"bzzz control-plane: {exc}", file=sys.stderr)
        return 1
    if not args.no_http:
        print(f"control plane at {supervisor.url} (webhook: {supervisor.url}/github/webhook)")
    print(f"reconcile every {args.reconcile_every:g}s; status sync every {args.drain_every:g}s")
    try:
        supervisor.wait()
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop()
    return 0
