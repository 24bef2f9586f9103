"""A GitHub App's user authorization (the OAuth web flow), as github.com runs it.

The flow (docs.github.com, "Generating a user access token for a GitHub App"):
1. the app sends the browser to `GET /login/oauth/authorize?client_id=…&redirect_uri=…&state=…`;
   the person signs in and authorizes; GitHub redirects to `redirect_uri?code=…&state=…`
   (or `?error=access_denied&…` when they cancel);
2. the app's server posts `client_id, client_secret, code, redirect_uri` to
   `POST /login/oauth/access_token` and gets `access_token` (`ghu_…`, eight hours),
   `refresh_token` (`ghr_…`), `token_type=bearer`: JSON with `Accept: application/json`,
   else form-encoded. Failures answer 200 with `error`, `error_description`, `error_uri`
   (bad_verification_code, incorrect_client_credentials, redirect_uri_mismatch).

A code is single-use and lives ten minutes. A loopback `redirect_uri` matches the
registered callback URL on any port, as GitHub documents for loopback redirects.
These two endpoints are not in GitHub's REST description, so the contract recorder
leaves them out; the REST endpoints the token is then used on (`/user`,
`/user/installations…`) are recorded and checked as every other.

The seed carries what github.com's settings page would: an app's `client_id`,
`client_secret` and `callback_url`, and a user's `password` for the sign-in form.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from infra.github_emulator.state import Token, World, now

CODE_LIFETIME = timedelta(minutes=10)
USER_TOKEN_LIFETIME = timedelta(hours=8)
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
_ERROR_URI = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"


@dataclass(frozen=True)
class OAuthClient:
    app_id: int
    client_id: str
    client_secret: str
    callback_url: str | None


@dataclass(frozen=True)
class _Grant:
    login: str
    client_id: str
    redirect_uri: str
    expires_at: datetime


class OAuthError(Exception):
    """A refused token request: GitHub's `error` word and description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {
            "error": self.error,
            "error_description": self.description,
            "error_uri": f"{_ERROR_URI}#{self.error.replace('_', '-')}",
        }


@dataclass
class OAuth:
    """Registered clients, users' passwords, pending codes, and which app minted a token."""

    clients: dict[str, OAuthClient] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # lower-cased login -> password
    token_apps: dict[str, int] = field(default_factory=dict)  # user token -> app id
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self, seed: dict[str, Any]) -> None:
        clients = {}
        for spec in seed.get("apps", []):
            if spec.get("client_id") and spec.get("client_secret"):
                client = OAuthClient(
                    int(spec["id"]),
                    str(spec["client_id"]),
                    str(spec["client_secret"]),
                    spec.get("callback_url"),
                )
                clients[client.client_id] = client
        passwords = {
            str(u["login"]).lower(): str(u["password"])
            for u in seed.get("users", [])
            if u.get("password")
        }
        with self._lock:
            self.clients, self.passwords = clients, passwords
            self._codes.clear()
            self.token_apps.clear()

    def client(self, client_id: str) -> OAuthClient | None:
        return self.clients.get(client_id)

    def check_password(self, login: str, password: str) -> bool:
        expected = self.passwords.get(login.lower())
        return expected is not None and secrets.compare_digest(expected, password)

    def redirect_allowed(self, client: OAuthClient, redirect_uri: str) -> bool:
        """The registered callback, or a path below it; a loopback host matches on any port."""
        if not client.callback_url:
            return False
        want, got = urlsplit(client.callback_url), urlsplit(redirect_uri)
        if (want.scheme, want.hostname) != (got.scheme, got.hostname):
            return False
        loopback = f"[{got.hostname}]" in _LOOPBACK or got.hostname in _LOOPBACK
        if not loopback and want.port != got.port:
            return False
        return got.path.startswith(want.path.rstrip("/") or "/")

    def grant(self, client: OAuthClient, login: str, redirect_uri: str) -> str:
        code = secrets.token_hex(10)  # GitHub's codes are 20 hex characters
        with self._lock:
            self._codes[code] = _Grant(login, client.client_id, redirect_uri, now() + CODE_LIFETIME)
        return code

    def exchange(
        self, world: World, client_id: str, client_secret: str, code: str, redirect_uri: str
    ) -> dict[str, Any]:
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, client_secret):
            raise OAuthError(
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            )
        with self._lock:
            grant = self._codes.pop(code, None)  # single use, even when refused below
        if grant is None or grant.client_id != client_id or grant.expires_at <= now():
            raise OAuthError("bad_verification_code", "The code passed is incorrect or expired.")
        if redirect_uri and redirect_uri != grant.redirect_uri:
            raise OAuthError(
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
            )
        return self._mint(world, client, grant.login)

    def _mint(self, world: World, client: OAuthClient, login: str) -> dict[str, Any]:
        # A user access token reaches what both the user and the app's installations reach.
        reachable = [
            full
            for inst in world.installations.values()
            if inst.app_id == client.app_id
            for full in inst.repos
            if _user_reads(world, login, full)
        ]
        value = "ghu_" + secrets.token_hex(18)
        world.tokens[value] = Token(
            value=value,
            login=world.user(login).login,
            repos=reachable,
            expires_at=now() + USER_TOKEN_LIFETIME,
        )
        with self._lock:
            self.token_apps[value] = client.app_id
        return {
            "access_token": value,
            "expires_in": int(USER_TOKEN_LIFETIME.total_seconds()),
            "refresh_token": "ghr_" + secrets.token_hex(30),
            "refresh_token_expires_in": 15811200,
            "scope": "",
            "token_type": "bearer",
        }


def _user_reads(world: World, login: str, full_name: str) -> bool:
    repo = world.repos.get(full_name.lower())
    return repo is not None and (not repo.private or repo.role_of(login) is not None)
