"""When a pull request's `updated_at` may be trusted: GitHub's times have whole seconds."""

from __future__ import annotations

from bzzz.github.client import _settled


def test_an_answer_from_the_same_second_does_not_settle_updated_at():
    assert not _settled("2026-12-06T20:41:32Z", "Sun, 06 Dec 2026 20:41:32 GMT")


def test_an_answer_from_a_later_second_settles_it():
    assert _settled("2026-12-06T20:41:32Z", "Sun, 06 Dec 2026 20:41:33 GMT")


def test_a_missing_or_unreadable_date_settles_nothing():
    assert not _settled("2026-12-06T20:41:32Z", None)
    assert not _settled(None, "Sun, 06 Dec 2026 20:41:33 GMT")
    assert not _settled("2026-12-06T20:41:32Z", "yesterday")
    assert not _settled("not a time", "Sun, 06 Dec 2026 20:41:33 GMT")
    assert not _settled("2026-12-06T20:41:32", "Sun, 06 Dec 2026 20:41:33 GMT")  # no zone
