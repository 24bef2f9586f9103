"""Who is calling: personal tokens, installation tokens, and GitHub App JWTs; what they may do."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

from infra.github_emulator.errors import BadCredentials, Forbidden, NotFound, RequiresAuthentication
from infra.github_emulator.state import ROLES, Repo, Token, World, now


@dataclass(frozen=True)
class Identity:
    """The caller: a user (personal token), an installation (its bot), or an app (JWT)."""

    login: str
    token: Token | None = None
    app_id: int | None = None

    @property
    def installation_id(self) -> int | None:
        return self.token.installation_id if self.token else None

    @property
    def rate_key(self) -> str:
        return self.login


ANONYMOUS = Identity(login="")


def _credential(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and value:
        return value.strip()
    if scheme.lower() == "basic" and value:
        # git sends `Basic base64(user:token)`; GitHub takes the token as the password.
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None
        return password or user
    return None


def _app_jwt(world: World, credential: str) -> Identity | None:
    # The signature is not verified: the stand-in holds no app private keys. The
    # claims GitHub checks (issuer names a known app, not expired) are checked.
    parts = credential.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        app_id = int(claims["iss"])
    except (ValueError, KeyError, TypeError):
        return None
    app = world.apps.get(app_id)
    if app is None or float(claims.get("exp", 0)) < time.time():
        return None
    return Identity(login=f"{app.slug}[bot]", app_id=app.id)


def identify(world: World, header: str | None) -> Identity:
    credential = _credential(header)
    if credential is None:
        if header:
            raise BadCredentials()
        return ANONYMOUS
    token = world.tokens.get(credential)
    if token is not None:
        if token.expires_at is not None and token.expires_at <= now():
            raise BadCredentials()
        if token.installation_id is not None:
            inst = world.installations[token.installation_id]
            slug = world.apps[inst.app_id].slug
            return Identity(login=f"{slug}[bot]", token=token)
        return Identity(login=token.login or "", token=token)
    app = _app_jwt(world, credential)
    if app is None:
        raise BadCredentials()
    return app


def require_user(identity: Identity) -> None:
    if not identity.login:
        raise RequiresAuthentication()


def require_app(identity: Identity) -> int:
    if identity.app_id is None:
        # GitHub's answer when a non-JWT credential reaches an app-only endpoint.
        raise (
            RequiresAuthentication()
            if not identity.login
            else Forbidden("A JSON web token could not be decoded")
        )
    return identity.app_id


def can_see(identity: Identity, repo: Repo) -> bool:
    token = identity.token
    if token is not None and token.repos is not None:
        return repo.full_name.lower() in (r.lower() for r in token.repos)
    if identity.app_id is not None:
        return not repo.private
    return not repo.private or repo.role_of(identity.login) is not None


def require_read(identity: Identity, repo: Repo) -> None:
    # GitHub hides what a caller may not see behind a 404, not a 403.
    if not can_see(identity, repo):
        raise NotFound()


def require_write(identity: Identity, repo: Repo, scope: str, role: str = "write") -> None:
    """An installation needs `scope: write`; a user needs at least `role` on the repo."""
    require_read(identity, repo)
    require_user(identity)
    token = identity.token
    if token is not None and token.installation_id is not None:
        if token.permissions.get(scope) != "write":
            raise Forbidden()
        return
    if identity.app_id is not None:
        raise Forbidden("Resource not accessible by integration")
    if role == "read" and not repo.private:
        # Anyone signed in may open issues, comment and react on a public repository.
        return
    have = repo.role_of(identity.login)
    if have is None or ROLES.index(have) < ROLES.index(role):
        raise Forbidden("Resource not accessible by personal access token")
