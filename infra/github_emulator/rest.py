"""The REST transport: credentials, rate limit, ETag/304, pagination and GitHub's error replies.

Route handlers are plain functions `Ctx -> Reply` that run under the world's
lock in a worker thread; they never see a Starlette request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from infra.github_emulator.auth import Identity, identify, require_read
from infra.github_emulator.errors import BadRequest, GitHubError, NotFound
from infra.github_emulator.state import Issue, Repo, World

if TYPE_CHECKING:
    from infra.github_emulator.app import GitHubEmulator

RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
MAX_PER_PAGE = 100


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    emulator: GitHubEmulator
    identity: Identity
    params: Mapping[str, str]
    query: Mapping[str, str]
    url: str
    raw_body: bytes

    @property
    def world(self) -> World:
        return self.emulator.world

    def any_json(self) -> Any:
        try:
            return json.loads(self.raw_body or b"{}")
        except ValueError as exc:
            raise BadRequest() from exc

    def json(self) -> dict[str, Any]:
        body = self.any_json()
        if not isinstance(body, dict):
            raise BadRequest()
        return body

    def repo(self) -> Repo:
        repo = self.world.repo(self.params["owner"], self.params["repo"])
        if repo is None:
            raise NotFound()
        require_read(self.identity, repo)
        return repo

    def issue(self, repo: Repo, *, pull: bool | None = None) -> Issue:
        try:
            found = repo.issues.get(int(self.params["number"]))
        except ValueError as exc:
            raise NotFound() from exc
        if found is None or (pull is True and found.pull is None):
            raise NotFound()
        return found

    def page(self, items: list[Any]) -> Reply:
        """One page of `items`, with GitHub's `Link` header (first/prev/next/last)."""
        try:
            per_page = min(MAX_PER_PAGE, max(1, int(self.query.get("per_page", 30))))
            number = max(1, int(self.query.get("page", 1)))
        except ValueError:
            per_page, number = 30, 1
        last = max(1, -(-len(items) // per_page))
        chunk = items[(number - 1) * per_page : number * per_page]
        # GitHub's order: prev and next first, then last and first, each only when it applies.
        wanted = []
        if number < last:
            wanted += [("next", number + 1), ("last", last)]
        if number > 1:
            wanted = [("prev", number - 1), *wanted, ("first", 1)]
        links = [f'<{self._with_page(target, per_page)}>; rel="{rel}"' for rel, target in wanted]
        return Reply(chunk, headers={"Link": ", ".join(links)} if links else {})

    def _with_page(self, number: int, per_page: int) -> str:
        base = self.url.split("?", 1)[0]
        query = {k: v for k, v in self.query.items() if k not in ("page", "per_page")}
        query.update(per_page=str(per_page), page=str(number))
        return base + "?" + urlencode(query)


Handler = Callable[[Ctx], Reply]


def _etag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


def json_response(body: Any, status: int, headers: dict[str, str]) -> Response:
    raw = b"" if body is None and status in (204, 304) else json.dumps(body).encode()
    return Response(raw, status, headers=headers, media_type="application/json; charset=utf-8")


def endpoint(handler: Handler, *, free: bool = False) -> Callable[[Request], Any]:
    """Wrap a handler with GitHub's transport rules; `free` requests spend no rate limit."""

    async def run(request: Request) -> Response:
        emulator: GitHubEmulator = request.app.state.emulator
        raw = await request.body()
        return await to_thread.run_sync(_serve, emulator, request, raw)

    def _serve(emulator: GitHubEmulator, request: Request, raw: bytes) -> Response:
        limiter = emulator.limiter
        client = request.client.host if request.client else "anonymous"
        key = f"ip:{client}"
        is_get = request.method in ("GET", "HEAD")
        fault = emulator.faults.match(request.method, request.url.path)
        if fault is not None:  # an injected 5xx or secondary limit (faults.py)
            return json_response(*fault.reply())
        try:
            with emulator.world.lock:
                identity = identify(emulator.world, request.headers.get("authorization"))
                key = identity.rate_key or key
                if not is_get and not free and limiter.exhausted(key):
                    return _rate_limited(emulator, key)
                ctx = Ctx(
                    emulator,
                    identity,
                    request.path_params,
                    request.query_params,
                    str(request.url),
                    raw,
                )
                reply = handler(ctx)
        except GitHubError as exc:
            reply = Reply(exc.body(), exc.status)
            if exc.status == 401:
                # A refused credential is answered before any budget is counted.
                return json_response(reply.body, reply.status, limiter.headers(key))
        body = json.dumps(reply.body).encode() if reply.body is not None else b""
        headers = dict(reply.headers)
        if is_get and reply.status == 200:
            headers["ETag"] = _etag(body)
            headers["Cache-Control"] = "private, max-age=60, s-maxage=60"
            headers["Vary"] = "Accept, Authorization, Cookie"
            if _matches(request.headers.get("if-none-match"), headers["ETag"]):
                # As on GitHub, a 304 does not count against the rate limit.
                headers.pop("Link", None)
                return Response(b"", 304, headers={**headers, **limiter.headers(key)})
        if not free and not limiter.spend(key):
            return _rate_limited(emulator, key)
        headers.update(limiter.headers(key))
        request_id = hashlib.sha256(body + key.encode()).hexdigest()[:16]
        headers["X-GitHub-Request-Id"] = request_id.upper()
        return json_response(reply.body, reply.status, headers)

    return run


def _rate_limited(emulator: GitHubEmulator, key: str) -> Response:
    limiter = emulator.limiter
    who = key.removeprefix("ip:")
    body = {"message": f"API rate limit exceeded for {who}.", "documentation_url": RATE_DOCS}
    headers = {**limiter.headers(key), "Retry-After": str(limiter.retry_after(key))}
    return json_response(body, limiter.status, headers)
