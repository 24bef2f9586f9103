"""The README's first command: `bzzz demo` runs the whole flow and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.fixtures.processes import marked_processes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.both_engines
def test_demo_turns_the_labelled_issue_into_a_draft_pr_and_stops_everything(
    tmp_path, container_engine
):
    mark = f"BZZZ_DEMO_TEST_MARK={uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BZZZ_", "AWS_ENDPOINT"))}
    env["BZZZ_DEMO_TEST_MARK"] = mark.split("=", 1)[1]
    env.pop("OLLAMA_HOST", None)  # the scripted stand-in, so the run is deterministic
    env.update(container_engine.env())  # the demo uses the engine that answers there
    with subprocess.Popen(
        [sys.executable, "-m", "cli.main", "demo"], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as demo:  # fmt: skip
        # While it runs, its servers carry the mark: the check below can see them.
        deadline = time.monotonic() + 300
        while not (servers := marked_processes(mark.encode()) - {demo.pid}):
            if demo.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        out, err = demo.communicate(timeout=600)
    assert servers, "no process of the demo carried the mark: the leak check would be blind"
    assert demo.returncode == 0, out + err
    assert "claimed by demo-runner" in out
    assert "completed" in out
    assert "draft pull request: http://127.0.0.1:" in out and "(draft: True)" in out
    assert "+    for i in range(1, n + 1):" in out  # the fix is the PR's diff
    # One review round: alice's line comment, answered on the same branch with a reply.
    assert "== alice reviews pull request #2: calc.py line 7" in out
    assert "reply on the pull request: ### Bzzz: review round 1 Pushed" in out
    assert "+    # range stops before its end, so n + 1 makes the loop include n." in out
    assert "| Review round | 1 of 3 |" in out
    assert "demo-runner    pr.replied" in out and "demo-runner    review.round" in out
    assert "__pycache__" not in out  # test debris is not committed
    assert "✅ Done" in out  # the status comment, kept by status sync
    assert "Discussion (HMMM)" in out and "plan (attempt 1, round 1)" in out  # the plan
    # The audit stream holds the control plane's and the runner's entries, and verifies.
    assert "control-plane  task.create" in out
    assert "demo-runner    command.run" in out and "demo-runner    pr.opened" in out
    assert "entries, verified" in out
    assert "Traceback" not in out + err
    assert "all stopped" in out
    assert marked_processes(mark.encode()) == set()
