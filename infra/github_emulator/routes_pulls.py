"""Pull requests (draft or not); their reviews and merges are routes_reviews."""

from __future__ import annotations

from starlette.routing import Route

from infra.github_emulator import actions, events, gitrepo, shapes_git, shapes_repo
from infra.github_emulator.auth import require_write
from infra.github_emulator.errors import Unprocessable, invalid
from infra.github_emulator.rest import Ctx, Reply, endpoint
from infra.github_emulator.state import Issue, PullRequest, Repo, now

R = "/repos/{owner}/{repo}"


def _branch_of(repo: Repo, spec: object, field: str) -> str:
    if not isinstance(spec, str) or not spec:
        raise invalid("PullRequest", field, "missing_field")
    owner, _, branch = spec.rpartition(":")
    if owner and owner.lower() != repo.owner.lower():
        # Forks are not emulated: a head from another owner cannot exist here.
        raise invalid("PullRequest", field, "invalid")
    if gitrepo.resolve(repo.git_dir, f"refs/heads/{branch}") is None:
        raise invalid("PullRequest", field, "invalid")
    return branch


def create_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    require_write(ctx.identity, repo, "pull_requests", role="read")
    body = ctx.json()
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise invalid("PullRequest", "title", "missing_field")
    head = _branch_of(repo, body.get("head"), "head")
    base = _branch_of(repo, body.get("base"), "base")
    if head == base:
        raise Unprocessable(
            errors=[
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"No commits between {base} and {head}",
                }
            ]
        )
    for other in repo.issues.values():
        if (
            other.pull
            and other.state == "open"
            and (other.pull.head, other.pull.base)
            == (
                head,
                base,
            )
        ):
            raise Unprocessable(
                errors=[
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {repo.owner}:{head}.",
                    }
                ]
            )
    issue = Issue(
        id=ctx.world.new_id(),
        number=repo.next_number(),
        title=title,
        body=body.get("body"),
        user=ctx.identity.login,
        pull=PullRequest(
            id=ctx.world.new_id(),
            head=head,
            base=base,
            draft=bool(body.get("draft", False)),
            maintainer_can_modify=bool(body.get("maintainer_can_modify", False)),
        ),
    )
    repo.issues[issue.number] = issue
    ctx.emulator.webhooks.emit(
        "pull_request", events.pull_request(ctx.world, repo, issue, "opened", ctx.identity.login)
    )
    url = f"{shapes_repo.repo_url(ctx.world, repo)}/pulls/{issue.number}"
    return Reply(shapes_git.pull_request(ctx.world, repo, issue), 201, {"Location": url})


def list_pulls(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    state = ctx.query.get("state", "open")
    head = ctx.query.get("head", "").rpartition(":")[2]
    base = ctx.query.get("base")
    # As documented: `created` by default, newest first; any other sort oldest first
    # unless `direction` says otherwise. The emulator knows `created` and `updated`.
    sort = ctx.query.get("sort", "created")
    if sort not in ("created", "updated"):
        raise invalid("PullRequest", "sort")
    direction = ctx.query.get("direction", "desc" if sort == "created" else "asc")
    if direction not in ("asc", "desc"):
        raise invalid("PullRequest", "direction")
    items = sorted(
        (
            i
            for i in repo.issues.values()
            if i.pull is not None
            and (state == "all" or i.state == state)
            and (not head or i.pull.head == head)
            and (not base or i.pull.base == base)
        ),
        key=(lambda i: i.number) if sort == "created" else (lambda i: (i.updated_at, i.number)),
        reverse=direction == "desc",
    )
    return ctx.page([shapes_git.pull_request(ctx.world, repo, i, full=False) for i in items])


def get_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    return Reply(shapes_git.pull_request(ctx.world, repo, ctx.issue(repo, pull=True)))


def update_pull(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    issue = ctx.issue(repo, pull=True)
    assert issue.pull is not None
    own = issue.user.lower() == ctx.identity.login.lower()
    require_write(ctx.identity, repo, "pull_requests", role="read" if own else "triage")
    body = ctx.json()
    if "title" in body:
        if not isinstance(body["title"], str) or not body["title"].strip():
            raise invalid("PullRequest", "title", "missing_field")
        issue.title = body["title"]
    if "body" in body:
        issue.body = body["body"]
    if "base" in body:
        issue.pull.base = _branch_of(repo, body["base"], "base")
    if "maintainer_can_modify" in body:
        issue.pull.maintainer_can_modify = bool(body["maintainer_can_modify"])
    if "state" in body:
        actions.set_state(
            ctx.world, ctx.emulator.webhooks, repo, issue, body["state"], None, ctx.identity.login
        )
    issue.updated_at = now()
    return Reply(shapes_git.pull_request(ctx.world, repo, issue))


ROUTES = [
    Route(f"{R}/pulls", endpoint(list_pulls), methods=["GET"]),
    Route(f"{R}/pulls", endpoint(create_pull), methods=["POST"]),
    Route(f"{R}/pulls/{{number}}", endpoint(get_pull), methods=["GET"]),
    Route(f"{R}/pulls/{{number}}", endpoint(update_pull), methods=["PATCH"]),
]
