"""`bzzz github-emulator`: serve the GitHub REST and git stand-in from a seed, in the foreground."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "github-emulator",
        help="serve a stand-in for GitHub's REST API and git over HTTP",
        description=(
            "Serve GitHub's REST API (issues, labels, comments, reactions, pull requests, "
            "installations), git clone/fetch/push over HTTP, and signed webhooks, from a seed "
            "file describing users, repos and issues. Test controls live under /_emulator/ "
            "(seed, rate-limit, webhook, deliveries, act)."
        ),
    )
    parser.add_argument("--seed", required=True, help="seed file (YAML), e.g. the demo seed")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument("--webhook-url", default=None, help="POST webhook deliveries here")
    parser.add_argument("--webhook-secret", default=None, help="sign deliveries with this secret")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # Imported here so that `bzzz --help` does not pay for uvicorn and Starlette.
    from infra.github_emulator.errors import EmulatorError
    from infra.github_emulator.server import serve_forever

    try:
        serve_forever(
            args.seed,
            host=args.host,
            port=args.port,
            webhook_url=args.webhook_url,
            webhook_secret=args.webhook_secret,
        )
    except (EmulatorError, OSError) as exc:
        print(f"bzzz github-emulator: {exc}")
        return 1
    return 0
