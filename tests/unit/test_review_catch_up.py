"""Which open pull requests the reconcile poll reads the feedback of, and what it asks."""

from __future__ import annotations

from bzzz.github import OpenPull
from bzzz.github.client import PullSeen
from bzzz.review.catch_up import changed_pulls
from bzzz.store.models import Task


class Repository:
    """The open pull requests a page at a time, most recently updated first, and what a
    read of one pull request answers; records what was asked."""

    def __init__(self, pages: list[list[OpenPull]], **alone: str) -> None:
        self.pages, self.alone = pages, alone
        self.asked: list[int] = []
        self.listed: list[int] = []

    def recent_pulls(self, repo: str, page: int = 1) -> tuple[list[OpenPull], bool]:
        self.listed.append(page)
        return self.pages[page - 1], page < len(self.pages)

    def pull_seen(self, repo: str, number: int, etag: str | None) -> PullSeen:
        self.asked.append(number)
        return PullSeen(True, '"etag"', self.alone[str(number)], True)


def at(second: int) -> str:
    return f"2026-12-06T20:00:{second:02d}Z"


def task(number: int, kept: str | None) -> Task:
    url = f"https://github.com/acme/calc/pull/{number}"
    return Task(key=f"acme/calc#{number}", repo="acme/calc", pr_url=url, review_updated_at=kept)


def pulls(*seconds: tuple[int, int]) -> list[OpenPull]:
    return [OpenPull(n, at(second), True) for n, second in seconds]


def listing(*seconds: tuple[int, int], more: bool = False, **alone: str) -> Repository:
    """One page of these; `more`: a second page follows, of pull requests not Bzzz's."""
    return Repository([pulls(*seconds), *([pulls((1, 0))] if more else [])], **alone)


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
    api = listing((9, 50), (7, 40), more=True, **{"8": at(45)})
    assert found(api, {7: task(7, at(40)), 8: task(8, at(5))}) == [(8, at(45))]
    assert api.listed == [1] and api.asked == [8]  # one left: one request, not the pages


def test_a_page_that_held_none_of_them_sends_the_rest_to_be_asked_for_alone():
    api = listing((9, 50), (5, 40), more=True, **{"8": at(3), "6": at(31)})
    assert found(api, {8: task(8, at(3)), 6: task(6, at(2))}) == [(6, at(31))]
    assert api.listed == [1] and api.asked == [6, 8]


def test_where_a_page_held_several_the_next_page_is_read():
    """Many of Bzzz's pull requests open at once: a page costs less than a read of each."""
    api = Repository([pulls((9, 50), (8, 40), (7, 35)), pulls((6, 30), (5, 20))])
    tasks = {n: task(n, at(s)) for n, s in ((8, 40), (7, 35), (6, 10), (5, 20))}
    assert found(api, tasks) == [(6, at(30))]
    assert api.listed == [1, 2] and api.asked == []


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
