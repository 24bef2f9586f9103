"""A narrow GitHub REST client over githubkit: the calls Bzzz makes, and typed errors.

githubkit is imported when the first client is made, not when this module is.
Its automatic retries and HTTP cache are off: the control plane honours rate
limits itself (stop early, resume on the next run) and keeps ETags in its own
table, since a Lambda's memory does not outlive the invocation.

Our own retries (`Retries`) are short and bounded, for what passes in seconds: a
5xx, a dropped connection, a secondary rate limit whose `retry-after` is within
`Retries.max_wait`. A longer wait is raised (GitHubRateLimitError) for the caller
to defer: the webhook answers 202 and the poll resumes on its next run. A request
that creates something (a comment) is retried only where GitHub surely did not
act on it (a rate-limit refusal), never after a 5xx that may have created it;
opening a pull request is retried, and one that already exists for the branch
(created by the attempt whose answer was lost) is the one returned.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

from bzzz.errors import GitHubError, GitHubNotFoundError, GitHubRateLimitError
from bzzz.github.text import marked

if TYPE_CHECKING:
    from githubkit import GitHub

T = TypeVar("T")
log = logging.getLogger(__name__)

_TRANSIENT = frozenset({0, 500, 502, 503, 504})  # 0: no answer (connection, timeout)


@dataclass(frozen=True)
class Retries:
    """How a call is tried again: `attempts` in all, waits doubling from `first_wait`."""

    attempts: int = 3
    first_wait: float = 0.5
    max_wait: float = 5.0  # a retry-after longer than this is the caller's to handle

    def wait(self, attempt: int, exc: GitHubError, created: bool) -> float | None:
        """Seconds to wait before try `attempt + 1`, or None: raise `exc` now."""
        if attempt >= self.attempts:
            return None
        if isinstance(exc, GitHubRateLimitError):  # refused: nothing was done
            return exc.retry_after if exc.retry_after <= self.max_wait else None
        if exc.status in _TRANSIENT and not created:
            return min(self.first_wait * 2.0 ** (attempt - 1), self.max_wait)
        return None


DEFAULT_RETRIES = Retries()
NO_RETRIES = Retries(attempts=1)
Reaction = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]


@dataclass(frozen=True)
class IssueInfo:
    number: int
    title: str
    body: str
    state: str
    labels: tuple[str, ...]
    author: str
    html_url: str
    is_pull_request: bool


@dataclass(frozen=True)
class PullRequest:
    url: str  # html_url
    number: int


@dataclass(frozen=True)
class PullSeen:
    """A pull request as one conditional read found it (GitHubApi.pull_seen)."""

    changed: bool  # False: a 304, nothing about it changed since the ETag asked with
    etag: str | None
    updated_at: str | None  # GitHub's, as written; on a 304 the one asked with, if any
    # GitHub's times have whole seconds: a review later in the second this read was
    # answered in would leave `updated_at` as it is. Only an answer from a later second
    # (its `Date`) vouches that nothing hides behind `updated_at`.
    settled: bool = False


@dataclass(frozen=True)
class OpenPull:
    """An open pull request as the repository's list shows it (GitHubApi.recent_pulls)."""

    number: int
    updated_at: str  # GitHub's, as written
    settled: bool  # as PullSeen.settled: the page was answered a later second


@dataclass(frozen=True)
class ReviewNote:
    """A review of a pull request, or a comment on a line of its diff (`ref` says which)."""

    ref: str  # "review:<id>" or "review_comment:<id>", as bzzz.review.feedback keeps it
    author: str
    body: str
    state: str = ""  # a review's: APPROVED, CHANGES_REQUESTED, COMMENTED
    path: str = ""  # a line comment's file, line, side and hunk of the diff
    line: int | None = None
    side: str = ""
    diff_hunk: str = ""
    in_reply_to: int | None = None


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str
    html_url: str


def _settled(updated_at: str | None, date: str | None) -> bool:
    """Whether an answer dated `date` (its `Date` header) came a later second than
    `updated_at`; False when either is missing or unreadable."""
    if not updated_at or not date:
        return False
    try:
        answered = parsedate_to_datetime(date)
        updated = datetime.fromisoformat(updated_at)
    except (TypeError, ValueError):
        return False
    if answered.tzinfo is None or updated.tzinfo is None:
        return False
    return int(answered.timestamp()) > int(updated.timestamp())


def pull_number(url: str) -> int:
    """The number a pull request's URL ends in (`.../pull/7` -> 7)."""
    return int(url.rstrip("/").rsplit("/", 1)[-1])


def _has_next(reply: Any) -> bool:
    """Whether a page's `Link` header names a next page."""
    return 'rel="next"' in reply.headers.get("link", "")


def _split(repo: str) -> tuple[str, str]:
    owner, _, name = repo.partition("/")
    return owner, name


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn githubkit's exceptions into ours, naming what we were doing."""
    from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed

    try:
        yield
    except RateLimitExceeded as exc:
        raise GitHubRateLimitError(
            exc.response.status_code, f"{what}: rate limit spent", exc.retry_after.total_seconds()
        ) from exc
    except RequestFailed as exc:
        status = exc.response.status_code
        try:
            message = str(exc.response.json().get("message", ""))
        except Exception:
            message = exc.response.text[:200]
        kind = GitHubNotFoundError if status == 404 else GitHubError
        raise kind(status, f"{what}: {message}") from exc
    except RequestError as exc:
        raise GitHubError(0, f"{what}: {exc}") from exc


class GitHubApi:
    """GitHub on behalf of one credential (a token, or a GitHub App installation)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        app_id: int | None = None,
        private_key: str | None = None,
        installation_id: int | None = None,
        auth: Any = None,
        timeout: float = 8.0,
        retries: Retries = DEFAULT_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`auth`, a githubkit auth strategy, is for a token that changes (runner.credentials)."""
        from githubkit import AppInstallationAuthStrategy, GitHub, TokenAuthStrategy
        from githubkit.cache import MemCacheStrategy

        if auth is not None:
            pass
        elif token:
            auth = TokenAuthStrategy(token)
        elif app_id and private_key and installation_id:
            auth = AppInstallationAuthStrategy(app_id, private_key, installation_id)
        else:
            raise ValueError("give a token, or app_id, private_key and installation_id")
        self._gh: GitHub[Any] = GitHub(
            auth,
            base_url=base_url.rstrip("/") + "/",
            auto_retry=False,
            http_cache=False,
            # githubkit's default cache is one per process, keyed by app and installation
            # id but not by GitHub: a second GitHub (another stand-in, a GHES beside
            # github.com) would be sent the first one's installation tokens.
            cache_strategy=MemCacheStrategy(),
            timeout=timeout,
            user_agent="bzzz",
        )
        self._retries, self._sleep = retries, sleep

    def _call(self, what: str, call: Callable[[], T], *, creates: bool = False) -> T:
        """`call`, its errors typed; retried as `Retries` says (`creates`: not after a 5xx)."""
        attempt = 1
        while True:
            try:
                with _translated(what):
                    return call()
            except GitHubNotFoundError:
                raise
            except GitHubError as exc:
                wait = self._retries.wait(attempt, exc, creates)
                if wait is None:
                    raise
                log.info("%s; trying again in %.1fs (%d/%d)", exc, wait, attempt + 1,
                         self._retries.attempts)  # fmt: skip
                self._sleep(wait)
                attempt += 1

    # ----- people -----------------------------------------------------------

    def role(self, repo: str, user: str) -> str:
        """The user's role on the repo (admin, maintain, write, triage, read, none)."""
        owner, name = _split(repo)
        login = quote(user, safe="")
        path = f"/repos/{quote(owner)}/{quote(name)}/collaborators/{login}/permission"
        try:
            # A plain request, not the REST namespace: every summoning webhook makes
            # this call, and the namespace's models cost ~25 MB of resident memory.
            reply = self._call(
                f"permission of {user} on {repo}", lambda: self._gh.request("GET", path)
            )
        except GitHubNotFoundError:
            return "none"
        data = _json(reply)
        return str(data.get("role_name") or data.get("permission") or "none")

    def repository(self, repo: str) -> tuple[str, str]:
        """The repository's (clone_url, default_branch), as GitHub reports them."""
        owner, name = _split(repo)
        path = f"/repos/{quote(owner)}/{quote(name)}"
        data = _json(self._call(f"repository {repo}", lambda: self._gh.request("GET", path)))
        return str(data["clone_url"]), str(data.get("default_branch") or "main")

    def collaborators(self, repo: str) -> list[tuple[str, str]]:
        """(login, role) of the repo's collaborators, first 100."""
        owner, name = _split(repo)
        path = f"/repos/{quote(owner)}/{quote(name)}/collaborators"
        reply = self._call(
            f"collaborators of {repo}",
            lambda: self._gh.request("GET", path, params={"per_page": 100}),
        )
        people: list[tuple[str, str]] = []
        for person in _json(reply):
            perms = person.get("permissions") or {}
            role = person.get("role_name") or next(
                (r for r in ("admin", "maintain", "push", "triage", "pull") if perms.get(r)), "none"
            )
            people.append((str(person["login"]), {"push": "write", "pull": "read"}.get(role, role)))
        return people

    # ----- contents -----------------------------------------------------------

    def file_text(self, repo: str, path: str, ref: str | None = None) -> str | None:
        """A file's text on the default branch (or `ref`), or None when it does not exist."""
        owner, name = _split(repo)
        url = f"/repos/{quote(owner)}/{quote(name)}/contents/{quote(path)}"
        try:
            reply = self._call(
                f"{path} in {repo}",
                lambda: self._gh.request(
                    "GET",
                    url,
                    params={"ref": ref} if ref else None,
                    headers={"Accept": "application/vnd.github.raw+json"},
                ),
            )
        except GitHubNotFoundError:
            return None
        return str(reply.text)

    # ----- issues -----------------------------------------------------------

    def issue(self, repo: str, number: int) -> IssueInfo:
        owner, name = _split(repo)
        reply = self._call(
            f"issue {repo}#{number}", lambda: self._gh.rest.issues.get(owner, name, number)
        )
        return _issue(_json(reply))

    def labelled_issues(
        self, repo: str, label: str, etag: str | None = None
    ) -> tuple[list[IssueInfo] | None, str | None]:
        """Open issues carrying `label`, or None when unchanged since `etag` (free: a 304).

        Only the first page is conditional; later pages are fetched when it changed.
        """
        owner, name = _split(repo)
        headers = {"If-None-Match": etag} if etag else None
        issues: list[IssueInfo] = []
        first_etag: str | None = None
        page = 1
        while True:
            reply = self._call(
                f"open issues labelled {label} in {repo}",
                lambda page=page: self._gh.rest.issues.list_for_repo(  # type: ignore[misc]
                    owner, name, state="open", labels=label, per_page=100, page=page,
                    headers=headers if page == 1 else None,
                ),
            )  # fmt: skip
            if reply.status_code == 304:
                return None, etag
            if page == 1:
                first_etag = reply.headers.get("etag")
            batch = _json(reply)
            issues.extend(_issue(raw) for raw in batch)
            if not _has_next(reply) or not batch:
                return [i for i in issues if not i.is_pull_request], first_etag
            page += 1

    def labeller(self, repo: str, number: int, label: str) -> str | None:
        """Who last added `label` to the issue (its `labeled` events), or None if nobody did.

        The issue's events are oldest first, so every page is read and the last
        matching event wins: a label removed and added again counts its latest adder.
        """
        owner, name = _split(repo)
        path = f"/repos/{quote(owner)}/{quote(name)}/issues/{number}/events"
        found: str | None = None
        page = 1
        while True:
            reply = self._call(
                f"events of {repo}#{number}",
                lambda page=page: self._gh.request(  # type: ignore[misc]
                    "GET", path, params={"per_page": 100, "page": page}
                ),
            )
            batch = _json(reply)
            for event in batch:
                added = event.get("event") == "labeled"
                named = str((event.get("label") or {}).get("name", "")).lower() == label.lower()
                if added and named:
                    found = str((event.get("actor") or {}).get("login") or "") or None
            if not _has_next(reply) or not batch:
                return found
            page += 1

    def comments(self, repo: str, number: int) -> list[Comment]:
        owner, name = _split(repo)
        found: list[Comment] = []
        page = 1
        while True:
            reply = self._call(
                f"comments of {repo}#{number}",
                lambda page=page: self._gh.rest.issues.list_comments(  # type: ignore[misc]
                    owner, name, number, per_page=100, page=page
                ),
            )
            batch = _json(reply)
            found.extend(_comment(raw) for raw in batch)
            if not _has_next(reply) or not batch:
                return found
            page += 1

    def comment(self, repo: str, number: int, body: str) -> Comment:
        owner, name = _split(repo)
        reply = self._call(
            f"commenting on {repo}#{number}",
            lambda: self._gh.rest.issues.create_comment(owner, name, number, body=marked(body)),
            creates=True,  # a 5xx may have posted it: a second try could post it twice
        )
        return _comment(_json(reply))

    def edit_comment(self, repo: str, comment_id: int, body: str) -> Comment:
        owner, name = _split(repo)
        reply = self._call(
            f"editing comment {comment_id} in {repo}",
            lambda: self._gh.rest.issues.update_comment(owner, name, comment_id, body=marked(body)),
        )
        return _comment(_json(reply))

    def react(self, repo: str, number: int, content: Reaction = "eyes") -> None:
        owner, name = _split(repo)
        self._call(
            f"reacting to {repo}#{number}",
            lambda: self._gh.rest.reactions.create_for_issue(owner, name, number, content=content),
        )

    def dispatch(self, repo: str, event_type: str, client_payload: dict[str, Any]) -> None:
        """Send `repository_dispatch` (starts the repository's workflows on that event type)."""
        owner, name = _split(repo)
        path = f"/repos/{quote(owner)}/{quote(name)}/dispatches"
        body = {"event_type": event_type, "client_payload": client_payload}
        self._call(
            f"dispatching {event_type} to {repo}",
            lambda: self._gh.request("POST", path, json=body),
            creates=True,  # a second dispatch after a 5xx could start a second job
        )

    def add_labels(self, repo: str, number: int, labels: list[str]) -> None:
        owner, name = _split(repo)
        self._call(
            f"labelling {repo}#{number}",
            lambda: self._gh.rest.issues.add_labels(owner, name, number, labels=labels),
        )

    def remove_label(self, repo: str, number: int, label: str) -> bool:
        """Remove `label`; False when the issue did not carry it."""
        owner, name = _split(repo)
        try:
            self._call(
                f"unlabelling {repo}#{number}",
                lambda: self._gh.rest.issues.remove_label(owner, name, number, label),
            )
        except GitHubNotFoundError:
            return False
        return True

    # ----- pull requests ----------------------------------------------------

    def pull_seen(
        self, repo: str, number: int, etag: str | None, updated_at: str | None = None
    ) -> PullSeen:
        """Whether the pull request changed since `etag` (a 304 is free), its ETag and
        `updated_at` now.

        Its `updated_at` moves with every review, line comment and comment on it; its ETag
        also with anything in the repository objects the answer embeds (a push to any
        branch, an issue opened), so on a busy repository the ETag alone says little.
        """
        owner, name = _split(repo)
        headers = {"If-None-Match": etag} if etag else None
        reply = self._call(
            f"pull request {repo}#{number}",
            lambda: self._gh.rest.pulls.get(owner, name, number, headers=headers),
        )
        date = reply.headers.get("date")
        if reply.status_code == 304:  # `updated_at`, read with `etag`, holds still
            return PullSeen(False, etag, updated_at, _settled(updated_at, date))
        raw = reply.json().get("updated_at")
        updated = str(raw) if raw else None
        return PullSeen(True, reply.headers.get("etag"), updated, _settled(updated, date))

    def pull_settled(
        self, repo: str, number: int, *, within: float = 3.0, every: float = 0.25
    ) -> str | None:
        """The pull request's `updated_at` once settled (PullSeen.settled), or None when no
        answer came from a later second `within` seconds: read once, then asked again with
        its ETag (a 304 costs no rate limit) until GitHub's clock moves on."""
        seen = self.pull_seen(repo, number, None)
        deadline = time.monotonic() + within
        while not seen.settled and seen.etag and time.monotonic() < deadline:
            time.sleep(every)
            seen = self.pull_seen(repo, number, seen.etag, seen.updated_at)
        return seen.updated_at if seen.settled else None

    def recent_pulls(self, repo: str, page: int = 1) -> tuple[list[OpenPull], bool]:
        """A page (100) of the repository's open pull requests, the most recently updated
        first, and whether there are more: one request."""
        owner, name = _split(repo)
        reply = self._call(
            f"open pull requests of {repo}",
            lambda: self._gh.rest.pulls.list(
                owner, name, state="open", sort="updated", direction="desc", per_page=100,
                page=page,
            ),
        )  # fmt: skip
        batch, date = _json(reply), reply.headers.get("date")
        pulls = []
        for raw in batch:
            updated = str(raw.get("updated_at") or "")
            pulls.append(OpenPull(int(raw["number"]), updated, _settled(updated, date)))
        return pulls, bool(batch) and _has_next(reply)

    def review_feedback(self, repo: str, number: int) -> list[ReviewNote]:
        """The pull request's reviews, then its line comments, each oldest first."""
        owner, name = _split(repo)
        notes: list[ReviewNote] = []
        for raw in self._pages(
            f"reviews of {repo}#{number}",
            lambda page: self._gh.rest.pulls.list_reviews(
                owner, name, number, per_page=100, page=page
            ),
        ):
            notes.append(ReviewNote(
                f"review:{raw['id']}", str((raw.get("user") or {}).get("login", "")),
                str(raw.get("body") or ""), state=str(raw.get("state") or ""),
            ))  # fmt: skip
        for raw in self._pages(
            f"review comments of {repo}#{number}",
            lambda page: self._gh.rest.pulls.list_review_comments(
                owner, name, number, per_page=100, page=page
            ),
        ):
            line = raw.get("line") if isinstance(raw.get("line"), int) else None
            notes.append(ReviewNote(
                f"review_comment:{raw['id']}", str((raw.get("user") or {}).get("login", "")),
                str(raw.get("body") or ""), path=str(raw.get("path") or ""), line=line,
                side=str(raw.get("side") or ""), diff_hunk=str(raw.get("diff_hunk") or ""),
                in_reply_to=raw.get("in_reply_to_id"),
            ))  # fmt: skip
        return notes

    def _pages(self, what: str, fetch: Callable[[int], Any]) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            reply = self._call(what, lambda page=page: fetch(page))  # type: ignore[misc]
            batch = _json(reply)
            yield from batch
            if not _has_next(reply) or not batch:
                return
            page += 1

    def open_draft_pull(
        self, repo: str, head: str, base: str, title: str, body: str
    ) -> PullRequest:
        """Open a draft pull request; its HTML URL and number."""
        owner, name = _split(repo)
        what = f"opening a pull request from {head} in {repo}"
        try:
            reply = self._call(
                what,
                lambda: self._gh.rest.pulls.create(
                    owner, name, head=head, base=base, title=title, body=body, draft=True
                ),
            )
        except GitHubError as exc:
            # GitHub keeps one open pull request per branch: an earlier try whose answer
            # was lost (a 5xx, a timeout) made it. That one is the pull request.
            existing = self._open_pull(owner, name, head) if exc.status == 422 else None
            if existing is None:
                raise
            return existing
        data = _json(reply)
        return PullRequest(str(data["html_url"]), int(data["number"]))

    def _open_pull(self, owner: str, name: str, head: str) -> PullRequest | None:
        reply = self._call(
            f"pull requests from {head} in {owner}/{name}",
            lambda: self._gh.rest.pulls.list(owner, name, head=f"{owner}:{head}", state="open"),
        )
        found = _json(reply)
        if not found:
            return None
        return PullRequest(str(found[0]["html_url"]), int(found[0]["number"]))


def _json(reply: Any) -> Any:
    """The decoded body; githubkit's TypedDicts are more than we rely on."""
    return reply.json()


def _issue(raw: dict[str, Any]) -> IssueInfo:
    return IssueInfo(
        number=int(raw["number"]),
        title=str(raw.get("title") or ""),
        body=str(raw.get("body") or ""),
        state=str(raw.get("state") or "open"),
        labels=tuple(
            str(label["name"] if isinstance(label, dict) else label)
            for label in raw.get("labels", [])
        ),
        author=str((raw.get("user") or {}).get("login", "")),
        html_url=str(raw.get("html_url") or ""),
        is_pull_request="pull_request" in raw,
    )


def _comment(raw: dict[str, Any]) -> Comment:
    return Comment(
        id=int(raw["id"]),
        author=str((raw.get("user") or {}).get("login", "")),
        body=str(raw.get("body") or ""),
        html_url=str(raw.get("html_url") or ""),
    )
