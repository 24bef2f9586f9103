""" "Sign in with GitHub": the App's user authorization (the OAuth web flow), server side.

1. `authorize_url` sends the browser to github.com with a random `state`;
2. `viewer_access` exchanges the returned code for a user access token, asks GitHub
   who the user is and which repositories of the App's installations they may read
   (`GET /user/installations`, `GET /user/installations/{id}/repositories`: GitHub
   lists only what the user has explicit permission to, with `permissions.push` for
   writers), and forgets the token: the session keeps only the answer.

Repositories Bzzz does not serve (BZZZ_ALLOWED_OWNERS) are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bzzz.config import Settings
from bzzz.dashboard import Access
from bzzz.errors import ConfigError, GitHubError

if TYPE_CHECKING:  # imported on first sign-in, not at the Lambda's cold start
    import httpx

_TIMEOUT = 10.0
_MAX_PAGES = 10  # 1,000 repositories per installation: the session cookie holds them


class SignInError(Exception):
    """GitHub refused the sign-in (the person cancelled, the code expired): say so, plainly."""


def client_id(settings: Settings) -> str:
    if not settings.github_app_client_id:
        raise ConfigError("GITHUB_APP_CLIENT_ID", "missing: the App's OAuth client id")
    return settings.github_app_client_id


def authorize_url(settings: Settings, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "client_id": client_id(settings),
            "redirect_uri": redirect_uri,
            "state": state,
            "allow_signup": "false",
        }
    )
    return f"{settings.github_web_url}/login/oauth/authorize?{query}"


def viewer_access(settings: Settings, secret: str, code: str, redirect_uri: str) -> Access:
    import httpx

    token = _exchange(settings, secret, code, redirect_uri)
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    with httpx.Client(base_url=settings.github_api_url, headers=headers, timeout=_TIMEOUT) as api:
        login = str(_get(api, "/user")["login"])
        readable, writable = set(), set()
        for inst in _pages(api, "/user/installations", "installations"):
            for repo in _pages(
                api, f"/user/installations/{int(inst['id'])}/repositories", "repositories"
            ):
                full = str(repo["full_name"])
                if not settings.serves(full):
                    continue
                readable.add(full.lower())
                if (repo.get("permissions") or {}).get("push"):
                    writable.add(full.lower())
    return Access(login=login, readable=frozenset(readable), writable=frozenset(writable))


def _exchange(settings: Settings, secret: str, code: str, redirect_uri: str) -> str:
    import httpx

    form = {
        "client_id": client_id(settings),
        "client_secret": secret,
        "code": code,
        "redirect_uri": redirect_uri,
    }
    try:
        reply = httpx.post(
            f"{settings.github_web_url}/login/oauth/access_token",
            data=form,
            headers={"Accept": "application/json"},
            timeout=_TIMEOUT,
        )
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise GitHubError(_status(exc), f"the code exchange failed: {type(exc).__name__}") from exc
    if not isinstance(body, dict) or not body.get("access_token"):
        # GitHub answers 200 with `error` (bad_verification_code, ...): the person retries.
        error = str(body.get("error", "no token")) if isinstance(body, dict) else "no token"
        raise SignInError(f"GitHub did not sign you in ({error[:60]}); please try again")
    return str(body["access_token"])


def _get(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    import httpx

    try:
        reply = api.get(path, params=params)
        reply.raise_for_status()
        body = reply.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise GitHubError(_status(exc), f"GET {path} failed: {type(exc).__name__}") from exc
    if not isinstance(body, dict):
        raise GitHubError(reply.status_code, f"GET {path}: not an object")
    return body


def _pages(api: httpx.Client, path: str, field: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in range(1, _MAX_PAGES + 1):
        items = _get(api, path, per_page=100, page=page).get(field) or []
        found.extend(i for i in items if isinstance(i, dict))
        if len(items) < 100:
            break
    return found


def _status(exc: Exception) -> int:
    response = getattr(exc, "response", None)
    return int(getattr(response, "status_code", 0) or 0)
