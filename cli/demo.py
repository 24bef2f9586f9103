"""`bzzz demo`: the whole flow on the embedded local stack, leaving nothing running.

A maintainer labels an issue on the GitHub stand-in; the webhook reaches the
control plane, which queues the task; a runner claims it, plans, fixes the bug
in a Podman (or Docker) sandbox with a model (a real Ollama when OLLAMA_HOST
answers with the model, else the scripted Ollama stand-in), pushes a branch and
opens a draft pull request; status sync keeps the issue's status comment
current. The timeline is shown live; the demo ends with the PR's link and diff
and exits 0 when the task completed.

`--repo PATH` does the same for a copy of the user's own repository (imported
into the stand-in as local/<name>, cli/demo_world.py) and an issue from
`--issue FILE|TEXT`; `--model NAME` runs the named model on the real Ollama at
OLLAMA_HOST. The task's end is printed as it was: with the scripted stand-in,
which cannot fix a repository it does not know, it asks for help (escalated)
and changes nothing. Exit codes: 0 a pull request was opened, 1 the task ended
without one (or the stack failed), 2 what the user gave cannot be used.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cli.demo_stack import DemoStack
    from cli.demo_world import DemoWorld

_TIMEOUT_SECONDS = 300.0  # the scripted stand-in answers at once
# A real model may use the whole default wall-clock budget (docs/bzzz-yml.md), and more.
_REAL_MODEL_TIMEOUT_SECONDS = 2400.0


def _waits(stack: DemoStack) -> float:
    return _TIMEOUT_SECONDS if stack.scripted else _REAL_MODEL_TIMEOUT_SECONDS


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="run the whole flow on the embedded local stack")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every component's log")
    parser.add_argument(
        "--repo", metavar="PATH", help="work on a copy of this git repository (its HEAD)"
    )
    parser.add_argument(
        "--issue",
        metavar="FILE|TEXT",
        help="with --repo: the issue, a file or the text itself; its first line is the title",
    )
    parser.add_argument(
        "--model", metavar="NAME", help="the model on the real Ollama at OLLAMA_HOST"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the stack and its dashboard up after the flow, until Ctrl-C",
    )
    parser.set_defaults(func=_demo)


def _say(line: str) -> None:
    print(line, flush=True)


def _world(args: argparse.Namespace) -> DemoWorld:
    """The world to work on, checked before anything starts (DemoInputError: exit 2)."""
    from cli.demo_stack import require_ollama
    from cli.demo_world import DemoInputError, acme_world, imported_world

    if args.issue is not None and args.repo is None:
        raise DemoInputError("--issue needs --repo (the demo's own issue is acme/calc#1)")
    world = acme_world() if args.repo is None else imported_world(Path(args.repo), args.issue)
    if args.model is not None:
        require_ollama(args.model)
    return world


def _demo(args: argparse.Namespace) -> int:
    from bzzz.errors import BzzzError
    from cli.demo_world import DemoInputError

    try:
        world = _world(args)
    except DemoInputError as exc:
        print(f"bzzz demo: {exc}", file=sys.stderr)
        return 2

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not args.verbose:
        # The control plane logs JSON and emits EMF metrics, as on Lambda: not for this screen.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from cli.demo_report import outcome, show_result, show_test_command
    from cli.demo_stack import DemoStack

    with tempfile.TemporaryDirectory(prefix="bzzz-demo-") as state:
        stack = DemoStack(Path(state), say=_say, world=world, model=args.model)
        try:
            _say("== starting the local stack")
            stack.start()
            _say(f"\n== alice labels {stack.world.repo}#{stack.world.issue} `bzzz-task`")
            stack.label()
            state_reached = _timeline(stack)
            if state_reached == "completed" and stack.world.source is None and stack.scripted:
                state_reached = _review_round(stack)
            _say("")
            show_test_command(stack, _say)
            opened = show_result(stack, _say)
            waited = _waits(stack)
            _say(f"\n== outcome: {outcome(stack, state_reached, opened, waited)}")
            if args.keep:
                _keep(stack)
            return 0 if opened else 1
        except BzzzError as exc:
            _say(f"bzzz demo: {exc}")
            return 1
        except Exception as exc:  # one line, not a traceback (run with -v for the logs)
            print(f"bzzz demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        finally:
            _say("\n== stopping everything")
            stack.close()
            _say("all stopped")


def _keep(stack: DemoStack) -> None:
    """Stay up for a newcomer to click around; Ctrl-C or SIGTERM stops it all (finally)."""
    import signal
    import threading

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    _say(f"\n== --keep: the dashboard stays up at {stack.dashboard_url}; Ctrl-C stops everything")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _review_round(stack: DemoStack) -> str:
    """Alice asks for a change on the pull request; one review round answers it."""
    import httpx

    from cli.demo_stack import REVIEW_COMMENT

    base, repo = stack.github.base_url, stack.world.repo
    (pull,) = httpx.get(f"{base}/repos/{repo}/pulls", timeout=10).json()
    _say(f"\n== alice reviews pull request #{pull['number']}: calc.py line 7: {REVIEW_COMMENT}")
    stack.review(int(pull["number"]))
    state = _timeline(stack, review_round=1)
    replies = httpx.get(f"{base}/repos/{repo}/issues/{pull['number']}/comments", timeout=10)
    for body in (c["body"] for c in replies.json() if "bzzz:review-round" in c["body"]):
        lines = [line for line in body.splitlines()[1:] if line.strip()]
        _say("  reply on the pull request: " + " ".join(lines[:2]))
    return state


def _timeline(stack: DemoStack, review_round: int = 0) -> str:
    """Print each change of the task (state, owner, attempt) until it ends (in that round)."""
    from bzzz.tasks.lifecycle import Lifecycle
    from bzzz.tasks.states import TERMINAL, State
    from cli.demo_report import key as task_key

    lifecycle = Lifecycle(stack.settings)
    key = task_key(stack)
    started = time.monotonic()
    last: tuple[object, ...] | None = None
    while time.monotonic() - started < _waits(stack):
        task = lifecycle.get(key)
        if task is not None and int(task.round or 0) >= review_round:
            now = (task.state, task.lease_owner, task.attempt)
            if now != last:
                owner = f" by {task.lease_owner}" if task.lease_owner else ""
                extra = f" ({task.reason})" if task.reason and task.state != "completed" else ""
                _say(f"  +{time.monotonic() - started:5.1f}s  {task.state}{owner}{extra}")
                last = now
            if State(task.state) in TERMINAL | {State.ESCALATED}:
                return str(task.state)
        time.sleep(0.2)
    _say(f"  gave up waiting after {_waits(stack):.0f}s")
    return "timeout"
