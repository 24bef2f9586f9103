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
    import os
    import sys

    from cli.runner import prepare_runner_process
    from runner.actions import main

    prepare_runner_process(args.verbose)  # until the worker runs: it takes the signals then
    try:
        return main(os.environ)
    except KeyboardInterrupt:
        print("bzzz action: interrupted before the task was claimed", file=sys.stderr)
        return 130
