"""Which open pull requests the reconcile poll reads the feedback of, and how far it lists."""

from __future__ import annotations

from collections.abc import Iterator

from bzzz.github import OpenPull
from bzzz.review.catch_up import changed_pulls
from bzzz.store.models import Task


class Listing:
    """The repository's open pull requests, most recently updated first; counts reads."""

    def __init__(self, pulls: list[OpenPull]) -> None:
        self.pulls, self.read = pulls, 0

    def open_pulls(self, repo: str) -> Iterator[OpenPull]:
        for pull in self.pulls:
            self.read += 1
            yield pull


def at(second: int) -> str:
    return f"2026-12-06T20:00:{second:02d}Z"


def task(number: int, kept: str | None) -> Task:
    url = f"https://github.com/acme/calc/pull/{number}"
    return Task(key=f"acme/calc#{number}", repo="acme/calc", pr_url=url, review_updated_at=kept)


def listing(*seconds: tuple[int, int]) -> Listing:
    return Listing([OpenPull(number, at(second), True) for number, second in seconds])


def test_a_pull_request_whose_updated_at_moved_is_read_and_one_that_did_not_is_not():
    tasks = {7: task(7, at(10)), 8: task(8, at(20))}
    found = changed_pulls(listing((7, 30), (8, 20)), "acme/calc", tasks)  # type: ignore[arg-type]
    assert [(pull.number, pull.updated_at) for pull, _ in found] == [(7, at(30))]


def test_the_list_is_read_no_further_than_the_last_pull_request_looked_for():
    api = listing((9, 50), (7, 40), (8, 30), (5, 20), (4, 10))
    changed_pulls(api, "acme/calc", {7: task(7, at(40)), 8: task(8, at(5))})  # type: ignore[arg-type]
    assert api.read == 3


def test_the_list_is_read_no_further_than_older_than_every_kept_updated_at():
    """A pull request closed without its webhook is not looked for to the end of the list."""
    api = listing((9, 50), (7, 40), (5, 20), (4, 10), (3, 5))
    tasks = {7: task(7, at(40)), 8: task(8, at(30))}  # 8 was closed: it is not listed
    assert changed_pulls(api, "acme/calc", tasks) == []  # type: ignore[arg-type]
    assert api.read == 3  # 5's 20 s is older than 8's kept 30 s: 8 cannot be further down


def test_a_pull_request_with_no_kept_updated_at_is_looked_for_to_the_end_and_read():
    api = listing((9, 50), (5, 20), (4, 10), (8, 5))
    found = changed_pulls(api, "acme/calc", {8: task(8, None)})  # type: ignore[arg-type]
    assert [pull.number for pull, _ in found] == [8] and api.read == 4


def test_a_tie_in_the_second_is_read_on():
    """GitHub's times have whole seconds: a pull request at the kept second may be next."""
    api = listing((9, 30), (8, 30), (4, 10))
    found = changed_pulls(api, "acme/calc", {8: task(8, at(30))})  # type: ignore[arg-type]
    assert found == [] and api.read == 2
