"""`bzzz demo --keep`: after the flow the dashboard stays up, signed-in pages and all,
until SIGTERM (or Ctrl-C) stops everything."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.fixtures.processes import marked_processes

ROOT = Path(__file__).resolve().parents[2]
KEEP = "== --keep: the dashboard stays up at "


def test_demo_keep_leaves_the_dashboard_up_until_sigterm(container_engine):
    mark = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BZZZ_", "AWS_ENDPOINT"))}
    env["BZZZ_DEMO_TEST_MARK"] = mark
    env.pop("OLLAMA_HOST", None)  # the scripted stand-in
    env.update(container_engine.env())
    lines: queue.Queue[str] = queue.Queue()
    # One pipe, drained by one reader: its lines are all the demo said, errors included.
    with subprocess.Popen(
        [sys.executable, "-m", "cli.main", "demo", "--keep"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as demo:
        assert demo.stdout is not None
        reader = threading.Thread(target=lambda: [lines.put(x) for x in demo.stdout], daemon=True)
        reader.start()
        seen, url = [], ""
        deadline = time.monotonic() + 400
        while not url and time.monotonic() < deadline and demo.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            if line.startswith(KEEP):
                url = line.removeprefix(KEEP).split(";", 1)[0].strip()
        try:
            said = "".join(seen)
            assert url, "the demo never said it stays up:\n" + said
            assert any(line.startswith("dashboard: http://127.0.0.1:") for line in seen)
            # The flow has ended; the stack has not.
            first = httpx.get(url, timeout=10, follow_redirects=True)
            assert first.status_code == 200, f"{first.status_code} {first.text}\n{said}"
            assert "Sign in with GitHub" in first.text
            assert demo.poll() is None, said
        finally:
            demo.send_signal(signal.SIGTERM)
            demo.wait(timeout=180)
        reader.join(30)
        while not lines.empty():
            seen.append(lines.get())
    out = "".join(seen)
    assert demo.returncode == 0, out
    assert "all stopped" in out and "Traceback" not in out, out
    assert marked_processes(f"BZZZ_DEMO_TEST_MARK={mark}".encode()) == set()
