"""The README's first command: `bzzz demo` runs the whole flow and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _our_processes() -> set[int]:
    """Servers the demo would start: moto, DynamoDB Local, Podman's service."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"bzzz-demo-" in cmdline or b"local_backend.moto_server" in cmdline:
            found.add(int(proc.name))
    return found


def test_demo_turns_the_labelled_issue_into_a_draft_pr_and_stops_everything(tmp_path):
    before = _our_processes()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BZZZ_", "AWS_ENDPOINT"))}
    env.pop("OLLAMA_HOST", None)  # the scripted stand-in, so the run is deterministic
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "claimed by demo-runner" in out
    assert "completed" in out
    assert "draft pull request: http://127.0.0.1:" in out and "(draft: True)" in out
    assert "+    for i in range(1, n + 1):" in out  # the fix is the PR's diff
    assert "__pycache__" not in out  # test debris is not committed
    assert "✅ Done" in out  # the status comment, kept by status sync
    assert "Discussion (HMMM)" in out and "plan (round 1)" in out  # the plan, in the comment
    # The audit stream holds the control plane's and the runner's entries, and verifies.
    assert "control-plane  task.create" in out
    assert "demo-runner    command.run" in out and "demo-runner    pr.opened" in out
    assert "entries, verified" in out
    assert "Traceback" not in out + done.stderr
    assert "all stopped" in out
    assert _our_processes() - before == set()
