"""Task progress: task.progress on the real bus at most once per interval, and the live line."""

from __future__ import annotations

import io

from runner.agent.types import Step
from runner.worker.progress import ProgressReporter, TerminalDisplay
from tests.fixtures.clock import ManualClock
from tests.fixtures.polling import arrivals_before_barrier


def test_steps_are_published_at_most_once_per_interval_and_all_shown(aws_settings):
    from bzzz.bus import Bus

    bus = Bus(aws_settings)
    clock, screen = ManualClock(100.0), io.StringIO()
    reporter = ProgressReporter(
        bus, "runner-1", "acme/calc#1", interval=5.0, display=TerminalDisplay(screen), clock=clock
    )
    for iteration, at in enumerate((0.0, 1.0, 4.9, 5.0, 9.0, 10.5), start=1):
        clock.now = 100.0 + at
        reporter.step(Step(iteration, f"echo {iteration}", iteration % 2, "", 10 * iteration, at))
    reporter.finish("done")

    # Everything the reporter published arrives before a barrier published after it.
    received = arrivals_before_barrier(bus, "acme/calc#1", ("status",))["status"]
    data = [e.data for e in received if str(e.type) == "task.progress"]
    assert [(d["iteration"], d["command"], d["exit_code"]) for d in data] == [
        (1, "echo 1", 1),
        (4, "echo 4", 0),
        (6, "echo 6", 0),
    ]
    assert {d["state"] for d in data} == {"running"}
    assert reporter.published == 3
    # The terminal saw every step on one rewritten line, then the task's last line.
    text = screen.getvalue()
    assert all(f"#{n} 'echo {n}'" in text for n in range(1, 7))
    assert text.count("\n") == 1 and text.rstrip("\r\x1b[2K").endswith("acme/calc#1: done\n")
