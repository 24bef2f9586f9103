"""The unit tier's rule, enforced: a unit test that reaches a socket, a process or a real
sleep fails, also when the code under test swallows the error."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.fixtures.unit_guard import UNIT_GUARD, TierViolation, UnitGuard

# Port 9 (discard) on loopback: nothing needs to listen, the guard refuses before the kernel.
NOWHERE = ("127.0.0.1", 9)


def test_every_test_here_is_marked_unit_and_runs_behind_the_guard(request):
    assert request.node.get_closest_marker("unit") is not None
    guard = request.node.stash[UNIT_GUARD]
    with pytest.raises(TierViolation, match=r"socket\.connect\(\('127\.0\.0\.1', 9\)\)"):
        socket.create_connection(NOWHERE, timeout=1)
    assert guard.violations == ["socket.connect(('127.0.0.1', 9))"]
    guard.violations.clear()  # this test's own attempt was the point; the rest must stay clean


@pytest.mark.parametrize(
    ("attempt", "recorded"),
    [
        pytest.param(lambda: socket.create_connection(NOWHERE), "socket.connect", id="connect"),
        pytest.param(lambda: socket.socket().connect_ex(NOWHERE), "socket.connect_ex", id="ex"),
        pytest.param(lambda: socket.socket().bind(("127.0.0.1", 0)), "socket.bind", id="bind"),
        pytest.param(lambda: subprocess.run(["true"]), "subprocess.Popen", id="subprocess"),
        pytest.param(lambda: os.system("true"), "os.system", id="os.system"),
        pytest.param(lambda: time.sleep(0.01), "time.sleep", id="sleep"),
    ],
)
def test_each_door_refuses_and_records_what_was_tried(attempt, recorded):
    guard = UnitGuard()
    with guard.installed(), pytest.raises(TierViolation, match="integration test"):
        attempt()
    assert [v.split("(")[0] for v in guard.violations] == [recorded]


def test_a_swallowed_refusal_is_still_recorded():
    guard = UnitGuard()
    # Code under test that hides its failures.
    with guard.installed(), contextlib.suppress(Exception):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    assert guard.violations and guard.violations[0].startswith("subprocess.Popen([")


def test_a_zero_sleep_only_yields_and_is_allowed():
    guard = UnitGuard()
    with guard.installed():
        time.sleep(0)
    assert guard.violations == []


def test_everything_is_restored_after_the_guard():
    before = (socket.socket.connect, subprocess.Popen._execute_child, os.system, time.sleep)
    with UnitGuard().installed():
        assert socket.socket.connect is not before[0]
    assert (socket.socket.connect, subprocess.Popen._execute_child, os.system, time.sleep) == before


@pytest.mark.runs_tool("checks that the marker lets a local tool run")
def test_runs_tool_lets_processes_run_but_keeps_sockets_shut():
    guard = UnitGuard(allow_processes=True)
    with guard.installed():
        assert subprocess.run(["true"], check=False).returncode == 0
        with pytest.raises(TierViolation):
            socket.create_connection(NOWHERE)
    assert [v.split("(")[0] for v in guard.violations] == ["socket.connect"]


@pytest.mark.runs_tool("a thread that was there before the guard runs `true`")
def test_threads_started_by_the_test_are_guarded_and_earlier_ones_pass_through():
    go, done = threading.Event(), threading.Event()
    codes: list[int] = []

    def bystander():  # a server thread another tier started, in a whole-suite run
        go.wait(10)
        codes.append(subprocess.run(["true"], check=False).returncode)
        done.set()

    earlier = threading.Thread(target=bystander, daemon=True)
    earlier.start()
    guard = UnitGuard()
    with guard.installed():
        go.set()
        assert done.wait(10)
        spawned = threading.Thread(target=_swallowing(lambda: os.system("true")))
        spawned.start()
        spawned.join(10)
    assert codes == [0]
    assert guard.violations == ["os.system"]


def _swallowing(call):
    def run():
        with contextlib.suppress(Exception):
            call()

    return run


@pytest.mark.runs_tool("waits for `sleep 0.05` with a timeout, so subprocess polls with sleeps")
def test_a_tool_may_be_waited_for_but_the_test_itself_may_not_sleep():
    guard = UnitGuard(allow_processes=True)
    with guard.installed():
        child = subprocess.Popen(["sleep", "0.05"])
        assert child.wait(timeout=5) == 0  # Popen.wait(timeout) polls with time.sleep
        with pytest.raises(TierViolation, match=r"time\.sleep\(0\.01\)"):
            time.sleep(0.01)
    assert guard.violations == ["time.sleep(0.01)"]
