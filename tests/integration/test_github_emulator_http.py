"""The GitHub stand-in's transport rules: conditional requests and the rate limit, raw HTTP."""

from __future__ import annotations

import pytest
from githubkit.exception import RequestFailed


def test_etag_304_does_not_spend_the_rate_limit(github):
    with github.http(github.tokens["alice"]) as http:
        first = http.get("/repos/acme/calc/issues")
        assert first.status_code == 200
        etag = first.headers["etag"]
        remaining = int(first.headers["x-ratelimit-remaining"])
        again = http.get("/repos/acme/calc/issues", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert int(again.headers["x-ratelimit-remaining"]) == remaining
        # A change to the resource changes its ETag, and the next GET is a full 200.
        http.post("/repos/acme/calc/issues/1/comments", json={"body": "ping"})
        changed = http.get("/repos/acme/calc/issues", headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert int(changed.headers["x-ratelimit-remaining"]) == remaining - 2


def test_rate_limit_headers_count_down(github):
    github.set_rate_limit(10)
    with github.http(github.tokens["bob"]) as http:
        replies = [http.get("/repos/acme/calc") for _ in range(3)]
    assert [r.headers["x-ratelimit-remaining"] for r in replies] == ["9", "8", "7"]
    assert {r.headers["x-ratelimit-limit"] for r in replies} == {"10"}
    assert int(replies[0].headers["x-ratelimit-reset"]) > 0


@pytest.mark.parametrize("status", [403, 429])
def test_spent_budget_is_refused_with_retry_after(github, status):
    github.set_rate_limit(5, remaining=1, status=status)
    with github.http(github.tokens["alice"]) as http:
        last = http.get("/repos/acme/calc")
        assert last.status_code == 200
        assert last.headers["x-ratelimit-remaining"] == "0"
        refused = http.get("/repos/acme/calc")
        assert refused.status_code == status
        assert int(refused.headers["retry-after"]) > 0
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert refused.json()["message"].startswith("API rate limit exceeded")
        # A write is refused before it happens: the comment must not exist afterwards.
        blocked = http.post("/repos/acme/calc/issues/1/comments", json={"body": "lost"})
        assert blocked.status_code == status
    github.set_rate_limit(5000)
    with github.http(github.tokens["alice"]) as http:
        bodies = [c["body"] for c in http.get("/repos/acme/calc/issues/1/comments").json()]
    assert "lost" not in bodies


def test_conditional_request_still_answers_when_budget_is_spent(github):
    with github.http(github.tokens["alice"]) as http:
        etag = http.get("/repos/acme/calc").headers["etag"]
        github.set_rate_limit(5, remaining=0)
        assert http.get("/repos/acme/calc").status_code == 403
        assert http.get("/repos/acme/calc", headers={"If-None-Match": etag}).status_code == 304


def test_budget_is_per_caller(github):
    github.set_rate_limit(2)
    with github.http(github.tokens["alice"]) as alice, github.http(github.tokens["bob"]) as bob:
        assert [alice.get("/repos/acme/calc").status_code for _ in range(3)] == [200, 200, 403]
        # GET /rate_limit is free, as on GitHub, and reports the spent budget.
        assert alice.get("/rate_limit").json()["resources"]["core"]["remaining"] == 0
        assert bob.get("/repos/acme/calc").status_code == 200


def test_githubkit_surfaces_the_rate_limit_refusal(github):
    github.set_rate_limit(5, remaining=0, status=429)
    gh = github.client("alice")
    with pytest.raises(RequestFailed) as refused:
        gh.rest.repos.get("acme", "calc")
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["retry-after"]
