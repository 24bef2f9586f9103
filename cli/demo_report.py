"""What `bzzz demo` prints once the task has ended: the test command the runner chose, the
issue's status comment, the audit log and its verdict, the pull request and its diff, and
the outcome in one line, as it was."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cli.demo_stack import DemoStack

Say = Callable[[str], None]


def key(stack: DemoStack) -> str:
    world = stack.world
    return f"{world.repo}#{world.issue}"


def outcome(stack: DemoStack, state: str, opened: bool, waited: float) -> str:
    """What became of the task, in one line, as it was."""
    from bzzz.tasks.lifecycle import Lifecycle

    task = Lifecycle(stack.settings).get(key(stack))
    reason = f": {task.reason}" if task is not None and task.reason else ""
    if state == "completed":
        return "completed, a draft pull request was opened" if opened else "completed"
    if state == "escalated":
        return f"escalated{reason.rstrip('.')}; no pull request"
    if state == "timeout":
        return f"no end within {waited:.0f}s; no pull request"
    pushed = "a partial branch was pushed" if _branches(stack) else "nothing was pushed"
    return f"{state}{reason}; {pushed}, no pull request"


def show_test_command(stack: DemoStack, say: Say) -> None:
    """The test command the runner chose, and why (from the task's trajectory)."""
    import json

    for path in sorted((stack.state_dir / "trajectories").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event.get("event") == "test_command":
                test = event.get("test") or {}
                found = f"`{test['command']}` ({test['because']})" if test else "none found"
                say(f"== test command: {found}")
                return


def _branches(stack: DemoStack) -> list[str]:
    """Branches the run pushed (every branch but the default)."""
    import httpx

    base, world = stack.github.base_url, stack.world
    names = [b["name"] for b in httpx.get(f"{base}/repos/{world.repo}/branches", timeout=10).json()]
    default = httpx.get(f"{base}/repos/{world.repo}", timeout=10).json()["default_branch"]
    return [name for name in names if name != default]


def _show_audit(stack: DemoStack, say: Say) -> None:
    """The task's audit stream: who did what, hash-chained and signed; then its verdict."""
    from bzzz.audit import read_stream, verify_stream

    settings, task = stack.settings, key(stack)
    say("\n== the audit log")
    for entry in read_stream(settings, task):
        say(f"  {entry['seq']:>3}  {entry['author']:<14} {entry['type']:<15} {entry['hash'][:12]}")
    report = verify_stream(settings, task)
    verdict = "verified" if report.finding is None else f"BAD: {report.finding}"
    say(f"  {report.entries} entries, {verdict}")


def _settled_status(stack: DemoStack, comments_url: str, timeout: float = 30.0) -> list[str]:
    """The status comments once the newest shows the task's last version (bounded wait).

    The runner writes the final state before it publishes the message status sync acts
    on, so the timeline can see "completed" while the comment still says "working on it";
    a loaded machine widens that gap past one drain.
    """
    import httpx

    from bzzz.tasks.lifecycle import Lifecycle

    task = Lifecycle(stack.settings).get(key(stack))
    footer = f"version {task.version}</sub>" if task is not None else ""
    deadline = time.monotonic() + timeout
    while True:
        stack.supervisor.drain_now()
        comments = httpx.get(comments_url).json()
        status = [c["body"] for c in comments if "<!-- bzzz:status -->" in c["body"]]
        if (status and footer in status[-1]) or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def show_result(stack: DemoStack, say: Say) -> bool:
    """The status comment, the audit log, and the pull request with its diff; True if opened."""
    import httpx

    from bzzz.github import strip_hidden_html

    base = stack.github.base_url
    repo, issue = stack.world.repo, stack.world.issue
    status = _settled_status(stack, f"{base}/repos/{repo}/issues/{issue}/comments")
    pulls = httpx.get(f"{base}/repos/{repo}/pulls", params={"state": "all"}).json()
    if status:
        say("== the issue's status comment")
        say(strip_hidden_html(status[-1]))
    _show_audit(stack, say)
    if not pulls:
        say("\nno pull request was opened")
        return False
    pull = pulls[0]
    say(f"\n== draft pull request: {pull['html_url']} (draft: {pull['draft']})")
    say(f"   {pull['title']}  [{pull['head']['ref']} -> {pull['base']['ref']}]")
    with tempfile.TemporaryDirectory() as work:
        git = ["git", "-C", work]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run(
            [*git, "fetch", "-q", f"{base}/{repo}.git", pull["base"]["ref"], pull["head"]["ref"]],
            check=True,
        )
        heads = subprocess.run(
            [*git, "ls-remote", f"{base}/{repo}.git"], capture_output=True, text=True, check=True
        ).stdout
        sha = {ref: sha for sha, ref in (line.split("\t") for line in heads.splitlines())}
        base_sha = sha[f"refs/heads/{pull['base']['ref']}"]
        head_sha = sha[f"refs/heads/{pull['head']['ref']}"]
        diff = subprocess.run(
            [*git, "diff", base_sha, head_sha], capture_output=True, text=True, check=True
        ).stdout
    say(diff.rstrip())
    return True
