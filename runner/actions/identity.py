"""AWS credentials for the job from GitHub's OIDC provider: no AWS key on the runner host.

    identity = JobIdentity.assume(environment, settings)   # ActionsIdentityError if refused
    ...                                                    # every boto3/PynamoDB client works
    identity.close()

The job asks Actions for an ID token (`ACTIONS_ID_TOKEN_REQUEST_URL`, audience
sts.amazonaws.com) and exchanges it for the role's credentials with
AssumeRoleWithWebIdentity, through a boto3 client whose endpoint comes from
AWS_ENDPOINT_URL like every other. That first exchange proves the role trusts this
job (and names the assumed role in the summary). Then the token is kept in a file
under RUNNER_TEMP and `AWS_ROLE_ARN` / `AWS_WEB_IDENTITY_TOKEN_FILE` are set for this
process only (never `$GITHUB_ENV`): botocore's own web-identity provider renews the
credentials before they expire, for every client, reading the file. GitHub's ID
tokens live minutes, a task hours: a thread fetches a fresh one well before the last
expires, so each renewal has a valid token to present.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bzzz.errors import BzzzError

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from bzzz.config import Settings
    from runner.actions.environment import ActionsEnvironment

log = logging.getLogger(__name__)

# Variables that would put a long-lived key ahead of the web identity in botocore's chain.
STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE")
SESSION_SECONDS = 3600  # what the role's MaxSessionDuration allows at least


class ActionsIdentityError(BzzzError):
    """The job could not get AWS credentials from GitHub's OIDC provider."""


def _expiry(token: str) -> float | None:
    """The ID token's `exp`, read without verifying (STS verifies; we only schedule)."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def fetch_id_token(url: str, request_token: str, audience: str, timeout: float = 10.0) -> str:
    """The job's ID token for `audience`, as @actions/core's getIDToken asks for it."""
    joiner = "&" if "?" in url else "?"
    try:
        reply = httpx.get(
            f"{url}{joiner}audience={audience}",
            headers={"Authorization": f"bearer {request_token}", "Accept": "application/json"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise ActionsIdentityError(f"no answer from Actions' ID token service: {exc}") from exc
    if reply.status_code != 200:
        raise ActionsIdentityError(
            f"Actions refused an ID token (HTTP {reply.status_code}): does the job have "
            "`permissions: id-token: write`?"
        )
    try:
        value = reply.json()["value"]
    except (ValueError, KeyError, TypeError):
        value = None
    if not isinstance(value, str) or value.count(".") != 2:
        raise ActionsIdentityError("Actions' ID token service answered without a token")
    return value


@dataclass
class JobIdentity:
    environment: ActionsEnvironment
    settings: Settings
    token_file: Path
    assumed_arn: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @classmethod
    def assume(
        cls,
        environment: ActionsEnvironment,
        settings: Settings,
        process_env: MutableMapping[str, str] | None = None,
    ) -> JobIdentity:
        env = os.environ if process_env is None else process_env
        if not environment.role_arn:
            raise ActionsIdentityError(
                "BZZZ_AWS_ROLE_ARN is not set: the Action's `role-to-assume` input names the "
                "job role (docs/actions.md)"
            )
        if not (environment.id_token_url and environment.id_token_request_token):
            raise ActionsIdentityError(
                "ACTIONS_ID_TOKEN_REQUEST_URL is not set: give the job "
                "`permissions: id-token: write`"
            )
        held = [name for name in STATIC_KEYS if env.get(name, "").strip()]
        if held:
            raise ActionsIdentityError(
                f"{', '.join(held)} set in the job's environment: Actions mode takes its AWS "
                "credentials from OIDC only; remove the stored key from the runner and workflow"
            )
        folder = environment.state_dir
        folder.mkdir(parents=True, exist_ok=True)
        identity = cls(environment, settings, folder / "aws-web-identity-token")
        token = identity._refresh_token()
        identity.assumed_arn = identity._exchange(token)
        env["AWS_ROLE_ARN"] = environment.role_arn
        env["AWS_WEB_IDENTITY_TOKEN_FILE"] = str(identity.token_file)
        env["AWS_ROLE_SESSION_NAME"] = identity.session_name
        identity._thread = threading.Thread(
            target=identity._keep_fresh, args=(token,), name="oidc token", daemon=True
        )
        identity._thread.start()
        return identity

    @property
    def session_name(self) -> str:
        return f"bzzz-{self.environment.run_id}-{self.environment.run_attempt}"[:64]

    def _refresh_token(self) -> str:
        env = self.environment
        assert env.id_token_url and env.id_token_request_token
        token = fetch_id_token(env.id_token_url, env.id_token_request_token, env.audience)
        partial = self.token_file.with_suffix(".new")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(token)
        partial.replace(self.token_file)  # botocore never reads half a token
        return token

    def _exchange(self, token: str) -> str:
        """AssumeRoleWithWebIdentity once, unsigned, at AWS_ENDPOINT_URL: is this job trusted?"""
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        sts: Any = boto3.session.Session().client(
            "sts",
            region_name=self.settings.region,
            endpoint_url=self.settings.endpoint_url("sts"),
            config=Config(signature_version=UNSIGNED),  # the ID token is the credential
        )
        try:
            reply = sts.assume_role_with_web_identity(
                RoleArn=self.environment.role_arn, RoleSessionName=self.session_name,
                WebIdentityToken=token, DurationSeconds=SESSION_SECONDS,
            )  # fmt: skip
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ActionsIdentityError(
                f"AWS refused the job role {self.environment.role_arn}: {error.get('Code')}: "
                f"{error.get('Message')} (its trust policy must name this repository)"
            ) from exc
        except BotoCoreError as exc:
            raise ActionsIdentityError(f"STS did not answer: {exc}") from exc
        return str(reply["AssumedRoleUser"]["Arn"])

    def _keep_fresh(self, token: str) -> None:
        while True:
            expires = _expiry(token) or (time.time() + 300)
            wait = max((expires - time.time()) / 2, 5.0)  # halfway: a failure can be retried
            if self._stop.wait(wait):
                return
            try:
                token = self._refresh_token()
            except ActionsIdentityError as exc:
                log.warning("renewing the job's ID token failed, retrying: %s", exc)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
