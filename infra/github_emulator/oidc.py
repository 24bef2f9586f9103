"""The stand-in as GitHub Actions' OIDC issuer: its own RSA key, its JWKS, the job's ID token.

GitHub's issuer is https://token.actions.githubusercontent.com; here it is the stand-in's
base URL, so a verifier finds `{iss}/.well-known/openid-configuration` and the JWKS it
names on the same server. A job (`start_job`) is what the Actions runner hands a step:
the `GITHUB_TOKEN` (an installation token of the `github-actions` app, scoped to the one
repository, with the workflow's permissions) and the pair `ACTIONS_ID_TOKEN_REQUEST_URL` /
`ACTIONS_ID_TOKEN_REQUEST_TOKEN` with which the step asks for ID tokens. The claims are the
ones GitHub documents (docs "OpenID Connect reference"), RS256-signed with `kid` set.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# GitHub's ID tokens live five minutes; a step asks for a new one when it needs one.
ID_TOKEN_SECONDS = 300
# What `permissions:` in the shipped workflow grants the job's GITHUB_TOKEN.
JOB_PERMISSIONS = {
    "contents": "write", "pull_requests": "write", "issues": "write", "metadata": "read",
}  # fmt: skip
ACTIONS_APP_SLUG = "github-actions"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _int_b64(number: int) -> str:
    return _b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))


@dataclass
class Job:
    """One running job of a workflow run, as the ID token describes it."""

    repo: str  # owner/name as GitHub spells it
    repository_id: int
    owner_id: int
    visibility: str
    ref: str  # refs/heads/main for events on the default branch (issues, repository_dispatch)
    sha: str
    event_name: str
    actor: str
    actor_id: int
    workflow: str
    workflow_path: str  # .github/workflows/bzzz.yml
    run_id: int
    run_number: int = 1
    run_attempt: int = 1
    environment: str | None = None
    github_token: str = ""
    request_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))


class Issuer:
    """The signing key (made per stand-in), the discovery document, the JWKS and the tokens."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.jobs: dict[str, Job] = {}  # request token -> job

    def discovery(self, issuer: str) -> dict[str, Any]:
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks",
            "subject_types_supported": ["public", "pairwise"],
            "response_types_supported": ["id_token"],
            "claims_supported": [
                "sub",
                "aud",
                "exp",
                "iat",
                "iss",
                "jti",
                "nbf",
                "ref",
                "sha",
                "repository",
                "repository_id",
                "repository_owner",
                "repository_owner_id",
                "run_id",
                "run_number",
                "run_attempt",
                "actor",
                "actor_id",
                "workflow",
                "workflow_ref",
                "workflow_sha",
                "head_ref",
                "base_ref",
                "event_name",
                "ref_type",
                "ref_protected",
                "environment",
                "job_workflow_ref",
                "job_workflow_sha",
                "repository_visibility",
                "runner_environment",
            ],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        key = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
               "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}  # fmt: skip
        return {"keys": [key]}

    def claims(self, job: Job, issuer: str, audience: str, now: float) -> dict[str, Any]:
        workflow_ref = f"{job.repo}/{job.workflow_path}@{job.ref}"
        context = f"environment:{job.environment}" if job.environment else f"ref:{job.ref}"
        claims: dict[str, Any] = {
            "jti": str(uuid.uuid4()),
            "sub": f"repo:{job.repo}:{context}",
            "aud": audience,
            "ref": job.ref,
            "sha": job.sha,
            "repository": job.repo,
            "repository_owner": job.repo.partition("/")[0],
            "repository_owner_id": str(job.owner_id),
            "repository_id": str(job.repository_id),
            "repository_visibility": job.visibility,
            "run_id": str(job.run_id),
            "run_number": str(job.run_number),
            "run_attempt": str(job.run_attempt),
            "actor": job.actor,
            "actor_id": str(job.actor_id),
            "workflow": job.workflow,
            "workflow_ref": workflow_ref,
            "workflow_sha": job.sha,
            "head_ref": "",
            "base_ref": "",
            "event_name": job.event_name,
            "ref_type": "branch",
            "ref_protected": "false",
            "job_workflow_ref": workflow_ref,
            "job_workflow_sha": job.sha,
            "runner_environment": "self-hosted",
            "iss": issuer,
            "nbf": int(now) - 5,
            "iat": int(now),
            "exp": int(now) + ID_TOKEN_SECONDS,
        }
        if job.environment:
            claims["environment"] = job.environment
        return claims

    def id_token(self, request_token: str, issuer: str, audience: str | None) -> str | None:
        """The signed ID token for the job holding `request_token`; None for an unknown one.

        Without an audience GitHub puts the owner's URL in `aud`.
        """
        job = self.jobs.get(request_token)
        if job is None:
            return None
        audience = audience or f"https://github.com/{job.repo.partition('/')[0]}"
        claims = self.claims(job, issuer, audience, time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"
