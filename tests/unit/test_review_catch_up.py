"""Which open pull requests the reconcile poll reads the feedback of, and what it asks."""

from __future__ import annotations

from bzzz.github import OpenPull
from bzzz.github.client import PullSeen
from bzzz.review.catch_up import changed_pulls
from bzzz.store.models import Task


class Repository:
    """The first page of the open pull requests, most recently updated first, and what a
    read of one pull request answers; records what was asked."""

    def __init__(self, listed: list[OpenPull], more: bool = False, **alone: str) -> None:
        self.listed, self.more, self.alone = listed, more, alone
        self.asked: list[int] = []

    def recent_pulls(self, repo: str) -> tuple[list[OpenPull], bool]:
        return self.listed, self.more

    def pull_seen(self, repo: str, number: int, etag: str | None) -> PullSeen:
        self.asked.append(number)
        return PullSeen(True, '"etag"', self.alone[str(number)], True)


def at(second: int) -> str:
    return f"2026-12-06T20:00:{second:02d}Z"


def task(number: int, kept: str | None) -> Task:
    url = f"https://github.com/acme/calc/pull/{number}"
    return Task(key=f"acme/calc#{number}", repo="acme/calc", pr_url=url, review_updated_at=kept)


def listing(*seconds: tuple[int, int], more: bool = False, **alone: str) -> Repository:
    return Repository([OpenPull(n, at(second), True) for n, second in seconds], more, **alone)


def found(api: Repository, tasks: dict[int, Task]) -> list[tuple[int, str]]:
    moved = changed_pulls(api, "acme/calc", tasks)  # type: ignore[arg-type]
    return [(pull.number, pull.updated_at) for pull, _ in moved]


def test_a_pull_request_whose_updated_at_moved_is_read_and_one_that_did_not_is_not():
    api = listing((7, 30), (8, 20))
    assert found(api, {7: task(7, at(10)), 8: task(8, at(20))}) == [(7, at(30))]
    assert api.asked == []


def test_one_not_listed_on_a_repository_of_one_page_is_not_open_and_not_asked_for():
    api = listing((9, 50), (7, 40))
    assert found(api, {7: task(7, at(40)), 8: task(8, at(5))}) == [] and api.asked == []


def test_one_further_down_a_larger_repository_is_asked_for_alone():
    api = listing((9, 50), (7, 40), more=True, **{"8": at(45), "6": at(3)})
    tasks = {7: task(7, at(40)), 8: task(8, at(5)), 6: task(6, at(3))}
    assert found(api, tasks) == [(8, at(45))]  # 8 moved (it is not the list's order: a fake)
    assert api.asked == [6, 8]  # each one request; 6 unchanged


def test_a_list_older_than_every_kept_updated_at_ends_the_search():
    """A pull request closed without its webhook is not asked for: it cannot be further down."""
    api = listing((9, 50), (7, 40), (5, 20), more=True)
    assert found(api, {7: task(7, at(40)), 8: task(8, at(30))}) == [] and api.asked == []


def test_one_with_no_kept_updated_at_is_looked_for_to_the_end_of_the_list_and_read():
    api = listing((9, 50), (5, 20), (8, 5))
    assert found(api, {8: task(8, None)}) == [(8, at(5))]


def test_a_tie_in_the_second_is_read_on():
    """GitHub's times have whole seconds: a pull request at the kept second may be next."""
    api = listing((9, 30), (8, 30), (4, 10), more=True)
    assert found(api, {8: task(8, at(30))}) == [] and api.asked == []
