"""Actions' side of the stand-in: the OIDC issuer's endpoints and the test control of jobs.

    GET  /.well-known/openid-configuration   discovery (issuer = the stand-in's base URL)
    GET  /.well-known/jwks                   the issuer's public key
    GET  /_actions/idtoken?api-version=2.0&audience=A
                                             as ACTIONS_ID_TOKEN_REQUEST_URL: with
                                             `Authorization: bearer <request token>`,
                                             answers {"value": jwt}
    POST /_emulator/actions/jobs             start a job: what the Actions runner hands a step
    DELETE /_emulator/actions/jobs/{run_id}  the job ended: its tokens stop working

None of these are REST API paths (the recorder leaves them out of the OpenAPI check).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.github_emulator import gitrepo
from infra.github_emulator.oidc import ACTIONS_APP_SLUG, JOB_PERMISSIONS, Issuer, Job
from infra.github_emulator.state import App, Installation, Token, World, now

# Paths of this module that are not GitHub's REST API.
NOT_REST = ("/.well-known/", "/_actions/")
# GitHub's GITHUB_TOKEN lives until the job ends, at most 24 hours.
JOB_TOKEN_LIFETIME = timedelta(hours=24)


def _issuer(request: Request) -> tuple[Issuer, str]:
    emulator = request.app.state.emulator
    return emulator.oidc, emulator.world.base_url


async def discovery(request: Request) -> Response:
    issuer, base = _issuer(request)
    return JSONResponse(issuer.discovery(base))


async def jwks(request: Request) -> Response:
    issuer, _ = _issuer(request)
    return JSONResponse(issuer.jwks())


async def id_token(request: Request) -> Response:
    issuer, base = _issuer(request)
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return JSONResponse({"message": "Bearer token required"}, 401)
    audience = request.query_params.get("audience") or None
    with request.app.state.emulator.world.lock:
        value = issuer.id_token(credential.strip(), base, audience)
    if value is None:
        return JSONResponse({"message": "Unauthorized: unknown or ended job"}, 401)
    return JSONResponse({"count": 1, "value": value})


def _actions_installation(world: World, repo_full: str, account: str) -> Installation:
    """The `github-actions` app installed on the repository (what mints GITHUB_TOKEN)."""
    app = next((a for a in world.apps.values() if a.slug == ACTIONS_APP_SLUG), None)
    if app is None:
        app = App(id=world.new_id(), slug=ACTIONS_APP_SLUG, owner="github", name="GitHub Actions")
        world.apps[app.id] = app
    for inst in world.installations.values():
        if inst.app_id == app.id and repo_full in inst.repos:
            return inst
    inst = Installation(id=world.new_id(), app_id=app.id, account=account, repos=[repo_full],
                        permissions=dict(JOB_PERMISSIONS), events=[])  # fmt: skip
    world.installations[inst.id] = inst
    world.user(f"{ACTIONS_APP_SLUG}[bot]").type = "Bot"
    return inst


async def start_job(request: Request) -> Response:
    body: dict[str, Any] = await request.json()
    emulator = request.app.state.emulator
    world: World = emulator.world
    with world.lock:
        owner, _, name = str(body.get("repo", "")).partition("/")
        repo = world.repo(owner, name)
        if repo is None:
            return JSONResponse({"message": f"no repository {body.get('repo')!r}"}, 404)
        actor = world.user(str(body.get("actor") or repo.owner))
        ref = f"refs/heads/{repo.default_branch}"
        inst = _actions_installation(world, repo.full_name, repo.owner)
        token = Token(
            value="ghs_" + secrets.token_hex(18), installation_id=inst.id,
            repos=[repo.full_name], permissions=dict(JOB_PERMISSIONS),
            expires_at=now() + JOB_TOKEN_LIFETIME,
        )  # fmt: skip
        world.tokens[token.value] = token
        job = Job(
            repo=repo.full_name, repository_id=repo.id, owner_id=world.user(repo.owner).id,
            visibility="private" if repo.private else "public", ref=ref,
            sha=gitrepo.resolve(repo.git_dir, ref) or "",
            event_name=str(body.get("event_name") or "issues"), actor=actor.login,
            actor_id=actor.id, workflow=str(body.get("workflow") or "Bzzz"),
            workflow_path=str(body.get("workflow_path") or ".github/workflows/bzzz.yml"),
            run_id=world.new_id(), run_attempt=int(body.get("run_attempt") or 1),
            environment=body.get("environment") or None, github_token=token.value,
        )  # fmt: skip
        emulator.oidc.jobs[job.request_token] = job
    return JSONResponse(
        {
            "run_id": job.run_id,
            "run_attempt": job.run_attempt,
            "ref": job.ref,
            "sha": job.sha,
            "github_token": token.value,
            "id_token_request_url": f"{world.base_url}/_actions/idtoken?api-version=2.0",
            "id_token_request_token": job.request_token,
        },
        201,
    )


async def end_job(request: Request) -> Response:
    emulator = request.app.state.emulator
    run_id = int(request.path_params["run_id"])
    with emulator.world.lock:
        for request_token, job in list(emulator.oidc.jobs.items()):
            if job.run_id == run_id:
                del emulator.oidc.jobs[request_token]
                emulator.world.tokens.pop(job.github_token, None)
    return Response(status_code=204)


ROUTES = [
    Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
    Route("/.well-known/jwks", jwks, methods=["GET"]),
    Route("/_actions/idtoken", id_token, methods=["GET"]),
    Route("/_emulator/actions/jobs", start_job, methods=["POST"]),
    Route("/_emulator/actions/jobs/{run_id:int}", end_job, methods=["DELETE"]),
]
