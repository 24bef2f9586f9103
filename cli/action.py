"""`bzzz action`: the entry point of the GitHub Action (action.yml), one task as one job."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "action",
        help="work the task of this GitHub Actions job (issues: labeled, repository_dispatch)",
        description=(
            "Run as a step of a GitHub Actions job on a self-hosted runner: read the event "
            "(GITHUB_EVENT_PATH), take AWS credentials from GitHub's OIDC provider "
            "(BZZZ_AWS_ROLE_ARN), create the task if the labeller may summon, claim it, work "
            "it in a sandbox and open a draft pull request with the job's GITHUB_TOKEN; the "
            "job summary shows the outcome. See docs/actions.md."
        ),
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import logging
    import os
    import signal
    import sys

    from runner.actions import main

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("botocore", "urllib3", "httpx", "docker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not os.environ.get("DOCKER_HOST"):
        from infra.container_engine import find_engine

        engine = find_engine()
        if engine is not None:
            os.environ.update(engine.env())
    # Until the worker runs (it takes the signals then), SIGTERM interrupts like Ctrl-C,
    # so what the start checks started is removed on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return main(os.environ)
    except KeyboardInterrupt:
        print("bzzz action: interrupted before the task was claimed", file=sys.stderr)
        return 130
