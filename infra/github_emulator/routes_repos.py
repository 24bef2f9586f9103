"""Repositories, users, collaborators, branches, refs and the rate-limit overview."""

from __future__ import annotations

from starlette.routing import Route

from infra.github_emulator import gitrepo, shapes_git, shapes_repo
from infra.github_emulator.auth import require_user, require_write
from infra.github_emulator.errors import NotFound, Unprocessable, invalid
from infra.github_emulator.rest import Ctx, Reply, endpoint

R = "/repos/{owner}/{repo}"
# GitHub's repository role -> the coarser `permission` the permission endpoint reports.
PERMISSION_OF_ROLE = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
}


def get_repo(ctx: Ctx) -> Reply:
    return Reply(shapes_repo.repository(ctx.world, ctx.repo(), full=True))


def get_authenticated_user(ctx: Ctx) -> Reply:
    require_user(ctx.identity)
    if ctx.identity.token is None or ctx.identity.token.login is None:
        # Installation tokens and app JWTs have no user behind them.
        raise Unprocessable("Resource not accessible by integration", errors=[])
    return Reply(shapes_repo.private_user(ctx.world, ctx.identity.login))


def rate_limit(ctx: Ctx) -> Reply:
    key = ctx.identity.rate_key or "anonymous"
    core = ctx.emulator.limiter.overview(key)
    # Only the core budget is emulated; the search budget is reported untouched.
    search = {"limit": 30, "remaining": 30, "reset": core["reset"], "used": 0}
    return Reply({"resources": {"core": core, "search": search}, "rate": core})


def collaborator_permission(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    login = ctx.params["username"]
    user = ctx.world.users.get(login.lower())
    if user is None:
        raise NotFound()
    role = repo.role_of(user.login)
    if role is None:
        role_name = permission = "none" if repo.private else "read"
    else:
        role_name, permission = role, PERMISSION_OF_ROLE[role]
    levels = {"admin": 4, "maintain": 3, "write": 2, "triage": 1, "read": 0, "none": -1}
    rank = levels[role_name]
    account = {
        **shapes_repo.user(ctx.world, user.login),
        "permissions": {
            "admin": rank >= 4,
            "maintain": rank >= 3,
            "push": rank >= 2,
            "triage": rank >= 1,
            "pull": rank >= 0,
        },
        "role_name": role_name,
    }
    return Reply({"permission": permission, "role_name": role_name, "user": account})


def list_collaborators(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    people = {repo.owner: "admin", **repo.collaborators}
    items = []
    for login, role in sorted(people.items(), key=lambda kv: kv[0].lower()):
        if ctx.world.user(login).type == "Organization":
            continue
        rank = ("read", "triage", "write", "maintain", "admin").index(role)
        items.append(
            {
                **shapes_repo.user(ctx.world, login),
                "permissions": {
                    "pull": True,
                    "triage": rank >= 1,
                    "push": rank >= 2,
                    "maintain": rank >= 3,
                    "admin": rank >= 4,
                },
                "role_name": role,
            }
        )
    return ctx.page(items)


def list_branches(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    items = [
        shapes_git.short_branch(ctx.world, repo, n, s) for n, s in gitrepo.branches(repo.git_dir)
    ]
    return ctx.page(items)


def get_branch(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    name = ctx.params["branch"]
    sha = gitrepo.resolve(repo.git_dir, f"refs/heads/{name}")
    if sha is None:
        raise NotFound("Branch not found")
    return Reply(shapes_git.branch(ctx.world, repo, name, sha))


def get_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    ref = "refs/" + ctx.params["ref"]
    for name, sha, kind in gitrepo.refs(repo.git_dir, ref):
        if name == ref:
            return Reply(shapes_git.git_ref(ctx.world, repo, name, sha, kind))
    raise NotFound()


def create_ref(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    require_write(ctx.identity, repo, "contents")
    body = ctx.json()
    ref, sha = body.get("ref"), body.get("sha")
    if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
        raise Unprocessable("Reference name must start with 'refs/' and have at least two slashes.")
    if not isinstance(sha, str) or gitrepo.resolve(repo.git_dir, sha) is None:
        raise invalid("Reference", "sha", "invalid")
    if gitrepo.resolve(repo.git_dir, ref) is not None:
        raise Unprocessable("Reference already exists")
    gitrepo.update_ref(repo.git_dir, ref, sha)
    url = f"{shapes_repo.repo_url(ctx.world, repo)}/git/{ref}"
    return Reply(shapes_git.git_ref(ctx.world, repo, ref, sha), 201, {"Location": url})


ROUTES = [
    Route("/rate_limit", endpoint(rate_limit, free=True), methods=["GET"]),
    Route("/user", endpoint(get_authenticated_user), methods=["GET"]),
    Route(R, endpoint(get_repo), methods=["GET"]),
    Route(f"{R}/collaborators", endpoint(list_collaborators), methods=["GET"]),
    Route(
        f"{R}/collaborators/{{username}}/permission",
        endpoint(collaborator_permission),
        methods=["GET"],
    ),
    Route(f"{R}/branches", endpoint(list_branches), methods=["GET"]),
    Route(f"{R}/branches/{{branch:path}}", endpoint(get_branch), methods=["GET"]),
    Route(f"{R}/git/ref/{{ref:path}}", endpoint(get_ref), methods=["GET"]),
    Route(f"{R}/git/refs", endpoint(create_ref), methods=["POST"]),
]
