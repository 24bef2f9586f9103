"""`bzzz demo`: the whole flow on the embedded local stack, leaving nothing running.

A maintainer labels an issue on the GitHub stand-in; the webhook reaches the
control plane, which queues the task; a runner claims it, plans, fixes the bug
in a Podman (or Docker) sandbox with a model (a real Ollama when OLLAMA_HOST
answers with the model, else the scripted Ollama stand-in), pushes a branch and
opens a draft pull request; status sync keeps the issue's status comment
current. The timeline is shown live; the demo ends with the PR's link and diff
and exits 0 when the task completed.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_TIMEOUT_SECONDS = 300.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="run the whole flow on the embedded local stack")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every component's log")
    parser.set_defaults(func=_demo)


def _say(line: str) -> None:
    print(line, flush=True)


def _demo(args: argparse.Namespace) -> int:
    from bzzz.errors import BzzzError

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not args.verbose:
        # The control plane logs JSON and emits EMF metrics, as on Lambda: not for this screen.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from cli.demo_stack import DemoStack

    with tempfile.TemporaryDirectory(prefix="bzzz-demo-") as state:
        stack = DemoStack(Path(state), say=_say)
        try:
            _say("== starting the local stack")
            stack.start()
            _say("\n== alice labels acme/calc#1 `bzzz-task`")
            stack.label()
            state_reached = _timeline(stack)
            _say("")
            _show_result(stack)
            return 0 if state_reached == "completed" else 1
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


def _timeline(stack: object) -> str:
    """Print each change of the task (state, owner, attempt) until it ends."""
    from bzzz.tasks.lifecycle import Lifecycle
    from bzzz.tasks.states import TERMINAL, State
    from cli.demo_stack import ISSUE, REPO

    lifecycle = Lifecycle(stack.settings)  # type: ignore[attr-defined]
    key = f"{REPO}#{ISSUE}"
    started = time.monotonic()
    last: tuple[object, ...] | None = None
    while time.monotonic() - started < _TIMEOUT_SECONDS:
        task = lifecycle.get(key)
        if task is not None:
            now = (task.state, task.lease_owner, task.attempt)
            if now != last:
                owner = f" by {task.lease_owner}" if task.lease_owner else ""
                extra = f" ({task.reason})" if task.reason and task.state != "completed" else ""
                _say(f"  +{time.monotonic() - started:5.1f}s  {task.state}{owner}{extra}")
                last = now
            if State(task.state) in TERMINAL | {State.ESCALATED}:
                return str(task.state)
        time.sleep(0.2)
    _say(f"  gave up waiting after {_TIMEOUT_SECONDS:.0f}s")
    return "timeout"


def _show_audit(stack: object) -> None:
    """The task's audit stream: who did what, hash-chained and signed; then its verdict."""
    from bzzz.audit import read_stream, verify_stream
    from cli.demo_stack import ISSUE, REPO

    settings = stack.settings  # type: ignore[attr-defined]
    key = f"{REPO}#{ISSUE}"
    _say("\n== the audit log")
    for entry in read_stream(settings, key):
        _say(f"  {entry['seq']:>3}  {entry['author']:<14} {entry['type']:<15} {entry['hash'][:12]}")
    report = verify_stream(settings, key)
    verdict = "verified" if report.finding is None else f"BAD: {report.finding}"
    _say(f"  {report.entries} entries, {verdict}")


def _show_result(stack: object) -> None:
    import httpx

    from bzzz.github import strip_hidden_html
    from cli.demo_stack import ISSUE, REPO

    base = stack.github.base_url  # type: ignore[attr-defined]
    stack.supervisor.drain_now()  # type: ignore[attr-defined]
    pulls = httpx.get(f"{base}/repos/{REPO}/pulls", params={"state": "all"}).json()
    comments = httpx.get(f"{base}/repos/{REPO}/issues/{ISSUE}/comments").json()
    status = [c["body"] for c in comments if "<!-- bzzz:status -->" in c["body"]]
    if status:
        _say("== the issue's status comment")
        _say(strip_hidden_html(status[-1]))
    _show_audit(stack)
    if not pulls:
        _say("no pull request was opened")
        return
    pull = pulls[0]
    _say(f"\n== draft pull request: {pull['html_url']} (draft: {pull['draft']})")
    _say(f"   {pull['title']}  [{pull['head']['ref']} -> {pull['base']['ref']}]")
    with tempfile.TemporaryDirectory() as work:
        git = ["git", "-C", work]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run(
            [*git, "fetch", "-q", f"{base}/{REPO}.git", pull["base"]["ref"], pull["head"]["ref"]],
            check=True,
        )
        heads = subprocess.run(
            [*git, "ls-remote", f"{base}/{REPO}.git"], capture_output=True, text=True, check=True
        ).stdout
        sha = {ref: sha for sha, ref in (line.split("\t") for line in heads.splitlines())}
        base_sha = sha[f"refs/heads/{pull['base']['ref']}"]
        head_sha = sha[f"refs/heads/{pull['head']['ref']}"]
        diff = subprocess.run(
            [*git, "diff", base_sha, head_sha], capture_output=True, text=True, check=True
        ).stdout
    _say(diff.rstrip())
