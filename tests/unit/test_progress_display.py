"""The runner's live progress line, switched off."""

from __future__ import annotations

import io

from runner.worker.progress import TerminalDisplay


def test_the_display_writes_nothing_when_off():
    screen = io.StringIO()
    display = TerminalDisplay(screen, enabled=False)
    display.show("acme/calc#1", "cloning")
    display.done("acme/calc#1", "completed")
    assert screen.getvalue() == ""
