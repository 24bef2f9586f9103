"""Git smart HTTP (clone, fetch, push) served by git's own `git http-backend` as a CGI program.

The stand-in authenticates first, the way GitHub does over HTTPS: the token is
the Basic-auth password (any user name, `x-access-token` by convention) or a
`Authorization: token|Bearer` header. Reading a public repository needs no
token; pushing always needs one with write access.
"""

from __future__ import annotations

import os
import subprocess
from functools import cache

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.github_emulator import actions_reviews
from infra.github_emulator.auth import ANONYMOUS, Identity, can_see, identify, require_write
from infra.github_emulator.errors import GitHubError
from infra.github_emulator.state import now

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="GitHub"'}


@cache
def _backend() -> str:
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return os.path.join(exec_path, "git-http-backend")


def _text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message + "\n", status, headers=headers, media_type="text/plain")


async def git_endpoint(request: Request) -> Response:
    emulator = request.app.state.emulator
    world = emulator.world
    owner, name, rest = (request.path_params[k] for k in ("owner", "repo", "rest"))
    is_push = rest == "git-receive-pack" or request.query_params.get("service") == (
        "git-receive-pack"
    )
    with world.lock:
        repo = world.repo(owner, name)
        try:
            identity: Identity = identify(world, request.headers.get("authorization"))
        except GitHubError:
            return _text(401, "Invalid username or token.", _CHALLENGE)
        if repo is None:
            return _text(404, "Repository not found.")
        if identity is ANONYMOUS and (repo.private or is_push):
            # git only sends credentials after a challenge, as it does with GitHub.
            return _text(401, "Authentication required.", _CHALLENGE)
        if not can_see(identity, repo):
            return _text(404, "Repository not found.")
        if is_push:
            try:
                require_write(identity, repo, "contents")
            except GitHubError:
                return _text(403, f"Permission to {repo.full_name}.git denied to {identity.login}.")
        root, path_info = world.root, f"/{repo.owner}/{repo.name}.git/{rest}"
        # Heads before a push, so that moved pull request heads announce `synchronize`.
        before = actions_reviews.open_heads(repo) if rest == "git-receive-pack" else {}
    body = await request.body()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_PROJECT_ROOT": str(root),
        "GIT_HTTP_EXPORT_ALL": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "PATH_INFO": path_info,
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.url.query,
        "CONTENT_TYPE": request.headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_USER": identity.login or "anonymous",
        "REMOTE_ADDR": request.client.host if request.client else "127.0.0.1",
        "GIT_PROTOCOL": request.headers.get("git-protocol", ""),
        "HTTP_CONTENT_ENCODING": request.headers.get("content-encoding", ""),
    }
    done = await to_thread.run_sync(
        lambda: subprocess.run([_backend()], input=body, capture_output=True, env=env, timeout=120)
    )
    head, _, payload = done.stdout.partition(b"\r\n\r\n")
    status, headers = 200, {}
    for line in head.decode("latin-1").split("\r\n"):
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split(" ", 1)[0])
        elif key:
            headers[key.strip()] = value.strip()
    if done.returncode != 0 and not head:
        return _text(500, done.stderr.decode(errors="replace"))
    if is_push and rest == "git-receive-pack":
        with world.lock:
            repo.updated_at = now()
            actions_reviews.synchronized(world, emulator.webhooks, repo, before, identity.login)
    return Response(payload, status, headers=headers)


ROUTES = [
    Route("/{owner}/{repo}.git/{rest:path}", git_endpoint, methods=["GET", "POST"]),
]
