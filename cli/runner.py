"""`bzzz runner`: run the self-hosted agent process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "runner",
        help="take tasks from the work queue and turn them into draft pull requests",
        description=(
            "Register in the agents table, take task.available messages from the work queue "
            "(up to BZZZ_RUNNER_CAPACITY at once), work each task in a sandbox with the "
            "configured Ollama model and open a draft pull request. Configuration is read "
            "from the environment (see docs/runner.md). SIGTERM: stop taking work, let tasks "
            "finish within BZZZ_RUNNER_GRACE_SECONDS, release the rest."
        ),
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.set_defaults(func=_run)


def prepare_runner_process(verbose: bool) -> None:
    """What `bzzz runner` and `bzzz action` do before their start checks: logging to
    stderr, the container engine found, SIGTERM as Ctrl-C while starting."""
    import logging
    import os
    import signal
    import sys

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("botocore", "urllib3", "httpx", "docker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not os.environ.get("DOCKER_HOST"):
        # The composition root may look for an engine the runner itself does not know of
        # (the project's Podman socket); it starts none.
        from infra.container_engine import find_engine

        engine = find_engine()
        if engine is not None:
            os.environ.update(engine.env())
    # While starting, SIGTERM interrupts like Ctrl-C, so what the checks started (the
    # start-up sandbox) is removed on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _run(args: argparse.Namespace) -> int:
    import signal
    import sys

    from runner.errors import RunnerStartError
    from runner.process import RunnerProcess

    prepare_runner_process(args.verbose)
    try:
        process = RunnerProcess.from_environment()
    except RunnerStartError as exc:
        print(f"bzzz runner: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bzzz runner: interrupted while starting", file=sys.stderr)
        return 130
    signal.signal(signal.SIGTERM, lambda *_: process.stop())
    signal.signal(signal.SIGINT, lambda *_: process.stop())
    process.run()
    return 0
