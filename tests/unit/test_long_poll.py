"""runner.long_poll: a stop cuts a long poll short, and what it brings later is given back."""

from __future__ import annotations

import threading

import pytest

from runner.long_poll import poll_unless_stopped


def test_the_messages_of_a_poll_that_ends_are_returned():
    stopping = threading.Event()
    assert poll_unless_stopped(lambda: ["m1", "m2"], stopping, pytest.fail) == ["m1", "m2"]


def test_a_stop_returns_at_once_and_what_the_poll_brings_later_is_given_back():
    stopping, release, given = threading.Event(), threading.Event(), threading.Event()
    returned: list[str] = []

    def receive() -> list[str]:
        stopping.set()  # the runner is told to stop while the poll is out
        assert release.wait(10), "the test never released the poll"
        return ["late"]

    def give_back(messages: list[str]) -> None:
        returned.extend(messages)
        given.set()

    assert poll_unless_stopped(receive, stopping, give_back) == []
    assert returned == []  # the poll is still out
    release.set()
    assert given.wait(10) and returned == ["late"]


def test_an_abandoned_poll_that_brings_nothing_gives_nothing_back():
    stopping, release, ended = threading.Event(), threading.Event(), threading.Event()

    def receive() -> list[str]:
        stopping.set()
        release.wait(10)
        ended.set()
        return []

    assert poll_unless_stopped(receive, stopping, pytest.fail) == []
    release.set()
    assert ended.wait(10)


def test_the_polls_error_reaches_the_caller():
    def receive() -> list[str]:
        raise ConnectionError("queue away")

    with pytest.raises(ConnectionError, match="queue away"):
        poll_unless_stopped(receive, threading.Event(), pytest.fail)
