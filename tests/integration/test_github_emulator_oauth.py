"""The stand-in's web flow (a GitHub App's user authorization) over loopback HTTP.

The REST calls made with the user token are recorded and held to GitHub's OpenAPI
description by the `github` fixture, as every other exchange.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

CLIENT_ID, SECRET = "Iv1.bzzzdemo0000042", "demo-oauth-client-secret"
CALLBACK = "http://127.0.0.1:8123/dashboard/auth/callback"  # any loopback port matches


def _sign_in(github, login: str, password: str, *, cancel: bool = False) -> httpx.Response:
    with httpx.Client(base_url=github.base_url, timeout=10) as web:
        page = web.get(
            "/login/oauth/authorize",
            params={"client_id": CLIENT_ID, "redirect_uri": CALLBACK, "state": "s1"},
        )
        assert page.status_code == 200 and "Authorize Bzzz" in page.text
        form = {
            "client_id": CLIENT_ID,
            "redirect_uri": CALLBACK,
            "state": "s1",
            "login": login,
            "password": password,
            ("cancel" if cancel else "authorize"): "1",
        }
        return web.post("/login/oauth/authorize", data=form)


def _code(reply: httpx.Response) -> str:
    assert reply.status_code == 302, reply.text
    target = urlsplit(reply.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == CALLBACK
    query = parse_qs(target.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def _exchange(github, code: str, *, secret: str = SECRET, json: bool = True) -> httpx.Response:
    headers = {"Accept": "application/json"} if json else {}
    return httpx.post(
        f"{github.base_url}/login/oauth/access_token",
        headers=headers,
        timeout=10,
        data={
            "client_id": CLIENT_ID,
            "client_secret": secret,
            "code": code,
            "redirect_uri": CALLBACK,
        },
    )


def test_the_web_flow_gives_a_user_token_that_lists_the_apps_installations(github):
    token = _exchange(github, _code(_sign_in(github, "bob", "bob-demo"))).json()
    assert token["token_type"] == "bearer" and token["access_token"].startswith("ghu_")
    with github.http(token["access_token"]) as api:
        assert api.get("/user").json()["login"] == "bob"
        installations = api.get("/user/installations").json()
        assert [i["id"] for i in installations["installations"]] == [77]
        repos = api.get("/user/installations/77/repositories").json()["repositories"]
    assert [(r["full_name"], r["permissions"]["push"]) for r in repos] == [("acme/calc", True)]


def test_a_reader_is_told_it_cannot_push(github):
    token = _exchange(github, _code(_sign_in(github, "mallory", "mallory-demo"))).json()
    with github.http(token["access_token"]) as api:
        repos = api.get("/user/installations/77/repositories").json()["repositories"]
    assert [(r["full_name"], r["permissions"]["push"]) for r in repos] == [("acme/calc", False)]


def test_a_code_is_single_use_and_needs_the_client_secret(github):
    code = _code(_sign_in(github, "alice", "alice-demo"))
    wrong = _exchange(github, code, secret="not-it").json()
    assert wrong["error"] == "incorrect_client_credentials"
    first = _exchange(github, code, json=False)
    assert parse_qs(first.text)["access_token"][0].startswith("ghu_")  # form-encoded by default
    assert _exchange(github, code).json()["error"] == "bad_verification_code"


def test_a_wrong_password_stays_on_the_page_and_cancel_redirects_with_access_denied(github):
    wrong = _sign_in(github, "alice", "guess")
    assert wrong.status_code == 401 and "Incorrect username or password" in wrong.text
    denied = _sign_in(github, "alice", "alice-demo", cancel=True)
    assert denied.status_code == 302
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]


def test_an_unregistered_redirect_is_refused_on_githubs_own_page(github):
    page = httpx.get(
        f"{github.base_url}/login/oauth/authorize",
        timeout=10,
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": "http://evil.example/dashboard/auth/callback",
        },
    )
    assert page.status_code == 400 and "location" not in page.headers
    unknown = httpx.get(
        f"{github.base_url}/login/oauth/authorize", params={"client_id": "nope"}, timeout=10
    )
    assert unknown.status_code == 404


def test_a_personal_token_is_not_a_user_access_token_of_an_app(github):
    with github.http(github.tokens["alice"]) as api:
        assert api.get("/user/installations").status_code == 403
