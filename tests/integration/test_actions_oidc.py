"""Actions mode's identity: the GitHub stand-in as OIDC issuer, STS on the local backend, and
the job role's trust policy.

Moto's AssumeRoleWithWebIdentity checks neither the token's signature nor the role's trust
policy, so what it leaves out is checked here: the stand-in's tokens verify against its own
JWKS (found through its discovery document) with the audience sts.amazonaws.com, and the
trust policy of infra/deploy/actions-role.yaml, resolved as CloudFormation would, admits the
claims of a job of a listed repository and refuses those of any other.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from infra.github_emulator.oidc import ID_TOKEN_SECONDS

ROOT = Path(__file__).resolve().parents[2]
ROLE_TEMPLATE = ROOT / "infra" / "deploy" / "actions-role.yaml"
ROLE_ARN = "arn:aws:iam::123456789012:role/bzzz-actions-job"


def _start_job(github: Any, repo: str = "acme/calc", **extra: Any) -> dict[str, Any]:
    reply = httpx.post(f"{github.base_url}/_emulator/actions/jobs", json={"repo": repo, **extra})
    reply.raise_for_status()
    return dict(reply.json())


def _verified_claims(github: Any, token: str, audience: str = "sts.amazonaws.com") -> Any:
    discovery = httpx.get(f"{github.base_url}/.well-known/openid-configuration").json()
    assert discovery["issuer"] == github.base_url
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    return jwt.decode(
        token, signing_key.key, algorithms=["RS256"], audience=audience,
        issuer=discovery["issuer"], options={"require": ["exp", "iat", "nbf", "sub"]},
    )  # fmt: skip


def test_the_job_token_verifies_against_the_issuers_jwks_with_githubs_claims(github):
    from runner.actions.identity import fetch_id_token

    job = _start_job(github, actor="alice")
    token = fetch_id_token(
        job["id_token_request_url"], job["id_token_request_token"], "sts.amazonaws.com"
    )
    claims = _verified_claims(github, token)
    assert claims["sub"] == "repo:acme/calc:ref:refs/heads/main"
    assert claims["aud"] == "sts.amazonaws.com"
    assert (claims["repository"], claims["repository_owner"]) == ("acme/calc", "acme")
    assert claims["job_workflow_ref"] == "acme/calc/.github/workflows/bzzz.yml@refs/heads/main"
    assert claims["run_id"] == str(job["run_id"]) and claims["actor"] == "alice"
    assert claims["sha"] == job["sha"] and len(job["sha"]) == 40
    assert claims["exp"] - claims["iat"] == ID_TOKEN_SECONDS
    with pytest.raises(jwt.InvalidAudienceError):
        _verified_claims(github, token, audience="https://github.com/acme")


def test_a_token_signed_by_another_key_or_changed_does_not_verify(github):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from runner.actions.identity import fetch_id_token

    job = _start_job(github)
    token = fetch_id_token(job["id_token_request_url"], job["id_token_request_token"], "sts")
    header, claims, signature = token.split(".")
    forged_claims = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(claims).replace(b"acme/calc", b"evil/calc")
    ).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        _verified_claims(github, f"{header}.{forged_claims}.{signature}", audience="sts")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(token)["kid"]
    foreign = jwt.encode(jwt.decode(token, options={"verify_signature": False}), other_key,
                         algorithm="RS256", headers={"kid": kid})  # fmt: skip
    with pytest.raises(jwt.InvalidSignatureError):
        _verified_claims(github, foreign, audience="sts")


def test_the_id_token_endpoint_wants_the_jobs_request_token_until_the_job_ends(github):
    from runner.actions.identity import ActionsIdentityError, fetch_id_token

    job = _start_job(github)
    url = job["id_token_request_url"]
    with pytest.raises(ActionsIdentityError, match="HTTP 401"):
        fetch_id_token(url, "not-the-request-token", "sts.amazonaws.com")
    assert httpx.get(url).status_code == 401
    httpx.delete(f"{github.base_url}/_emulator/actions/jobs/{job['run_id']}").raise_for_status()
    with pytest.raises(ActionsIdentityError, match="HTTP 401"):
        fetch_id_token(url, job["id_token_request_token"], "sts.amazonaws.com")
    # ... and the job's GITHUB_TOKEN ends with it.
    reply = github.http(job["github_token"]).get("/repos/acme/calc")
    assert reply.status_code == 401


def test_the_job_token_is_scoped_to_its_repository(github):
    job = _start_job(github)
    http = github.http(job["github_token"])
    assert http.get("/repos/acme/calc").status_code == 200
    permission = http.get("/repos/acme/calc/collaborators/bob/permission")
    assert permission.status_code == 200 and permission.json()["role_name"] == "write"


# ----- the trust policy --------------------------------------------------------------


def _trust_statement(owner: str, repositories: str) -> dict[str, Any]:
    from infra.local_backend.intrinsics import Stack, evaluate_conditions, resolve
    from infra.local_backend.template import load_template

    template = load_template(ROLE_TEMPLATE)
    parameters = {
        "GitHubOwner": owner, "Repositories": repositories, "ControlPlaneStackName": "bzzz",
        "MaxSessionSeconds": "3600", "ExistingOidcProviderArn": "arn:aws:iam::1:oidc-provider/x",
        "RunnerPolicyArn": "arn:aws:iam::123456789012:policy/bzzz-RunnerPolicy",
    }  # fmt: skip
    stack = Stack(name="bzzz-actions", region="us-east-1", parameters=parameters)
    stack.conditions = evaluate_conditions(template, stack)
    document = resolve(template["Resources"]["JobRole"]["Properties"], stack)
    # What the job may do is the runner hosts' policy, not a copy of it.
    assert document["ManagedPolicyArns"] == [parameters["RunnerPolicyArn"]]
    [statement] = document["AssumeRolePolicyDocument"]["Statement"]
    return dict(statement)


def _admits(statement: dict[str, Any], claims: dict[str, Any]) -> bool:
    """IAM's StringEquals / StringLike over the OIDC claims (what STS evaluates, moto not)."""
    prefix = "token.actions.githubusercontent.com:"
    for operator, conditions in statement["Condition"].items():
        for key, allowed in conditions.items():
            value = str(claims.get(key.removeprefix(prefix), ""))
            options = allowed if isinstance(allowed, list) else [allowed]
            if operator == "StringEquals" and value not in options:
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(value, o) for o in options):
                return False
    return True


def test_the_trust_policy_admits_only_the_listed_repositories_of_the_owner(github):
    from runner.actions.identity import fetch_id_token

    statement = _trust_statement("acme", "acme/calc,acme/web")
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]
    assert condition["StringLike"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/calc:*", "repo:acme/web:*",
    ]  # fmt: skip
    job = _start_job(github)
    token = fetch_id_token(
        job["id_token_request_url"], job["id_token_request_token"], "sts.amazonaws.com"
    )
    claims = _verified_claims(github, token)
    assert _admits(statement, claims)
    assert not _admits(statement, {**claims, "aud": "https://github.com/acme"})
    other_repo = {
        **claims,
        "sub": "repo:acme/other:ref:refs/heads/main",
        "repository": "acme/other",
    }
    assert not _admits(statement, other_repo)
    # A listed repository of another owner is refused by the owner condition too.
    foreign = _trust_statement("acme", "acme/calc,evil/calc")
    evil = {**claims, "sub": "repo:evil/calc:ref:refs/heads/main", "repository_owner": "evil"}
    assert not _admits(foreign, evil)
    assert _admits(_trust_statement("acme", "acme/calc"), claims)
    assert not _admits(_trust_statement("acme", "acme/web"), claims)


# ----- STS on the local backend ------------------------------------------------------


def test_the_job_assumes_its_role_through_sts_at_aws_endpoint_url(github, aws_env, tmp_path):
    """No AWS key in the job's environment: the ID token is the credential, and afterwards
    every boto3 client gets the role's credentials through botocore's web-identity chain."""
    import boto3

    from bzzz.config import load_settings
    from runner.actions.environment import read_environment
    from runner.actions.identity import JobIdentity

    job = _start_job(github)
    env = {k: v for k, v in aws_env.items() if k not in ("AWS_ACCESS_KEY_ID",
                                                        "AWS_SECRET_ACCESS_KEY")}  # fmt: skip
    env.update(_actions_variables(job, tmp_path))
    action = read_environment(env)
    identity = JobIdentity.assume(action, load_settings(env), env)
    try:
        assert identity.assumed_arn.startswith("arn:aws:sts::123456789012:assumed-role/")
        assert env["AWS_ROLE_ARN"] == ROLE_ARN
        token_file = Path(env["AWS_WEB_IDENTITY_TOKEN_FILE"])
        assert token_file.stat().st_mode & 0o077 == 0
        _verified_claims(github, token_file.read_text())
        # The test process's dummy keys would win in botocore's chain; the job has none.
        with pytest.MonkeyPatch.context() as patch:
            for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                patch.delenv(variable, raising=False)
            for variable in ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL"):
                patch.setenv(variable, env[variable])
            sts = boto3.session.Session().client(
                "sts", region_name="us-east-1", endpoint_url=aws_env["AWS_ENDPOINT_URL"]
            )
            caller = sts.get_caller_identity()["Arn"]
            method = boto3.session.Session().get_credentials().method
        assert method == "assume-role-with-web-identity"
        assert caller.startswith("arn:aws:sts::123456789012:assumed-role/bzzz-actions-job/")
        # A renewal replaces the file whole with a fresh token (what botocore reads next).
        first = token_file.read_text()
        identity._refresh_token()
        renewed = token_file.read_text()
        assert renewed != first and _verified_claims(github, renewed)["jti"]
        assert not token_file.with_suffix(".new").exists()
    finally:
        identity.close()


def test_a_stored_aws_key_in_the_job_is_refused(github, aws_env, tmp_path):
    from bzzz.config import load_settings
    from runner.actions.environment import read_environment
    from runner.actions.identity import ActionsIdentityError, JobIdentity

    env = {**aws_env, **_actions_variables(_start_job(github), tmp_path)}
    assert env["AWS_ACCESS_KEY_ID"]  # the local backend's dummy key, standing for a stored one
    with pytest.raises(ActionsIdentityError, match="AWS_ACCESS_KEY_ID"):
        JobIdentity.assume(read_environment(env), load_settings(env), env)
    no_role = {k: v for k, v in env.items() if k != "BZZZ_AWS_ROLE_ARN"}
    with pytest.raises(ActionsIdentityError, match="role-to-assume"):
        JobIdentity.assume(read_environment(no_role), load_settings(env), no_role)
    without_oidc = {k: v for k, v in env.items() if not k.startswith("ACTIONS_ID_TOKEN")}
    with pytest.raises(ActionsIdentityError, match="id-token: write"):
        JobIdentity.assume(read_environment(without_oidc), load_settings(env), without_oidc)


def _actions_variables(job: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text("{}")
    return {
        "GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/calc", "GITHUB_TOKEN": job["github_token"],
        "GITHUB_RUN_ID": str(job["run_id"]), "RUNNER_TEMP": str(tmp_path / "temp"),
        "ACTIONS_ID_TOKEN_REQUEST_URL": job["id_token_request_url"],
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": job["id_token_request_token"],
        "BZZZ_AWS_ROLE_ARN": ROLE_ARN,
    }  # fmt: skip
