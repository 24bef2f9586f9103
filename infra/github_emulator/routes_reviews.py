"""A pull request's reviews, its line comments (review comments) and its merge."""

from __future__ import annotations

from starlette.routing import Route

from infra.github_emulator import actions_reviews, shapes_git
from infra.github_emulator.auth import require_write
from infra.github_emulator.errors import NotFound
from infra.github_emulator.rest import Ctx, Reply, endpoint
from infra.github_emulator.shapes_repo import repo_url
from infra.github_emulator.shapes_review import review_comment
from infra.github_emulator.state import Issue, Repo, ReviewComment

R = "/repos/{owner}/{repo}"


def _pull(ctx: Ctx) -> tuple[Repo, Issue]:
    repo = ctx.repo()
    return repo, ctx.issue(repo, pull=True)


def create_review(ctx: Ctx) -> Reply:
    repo, issue = _pull(ctx)
    require_write(ctx.identity, repo, "pull_requests", role="read")
    body = ctx.json()
    comments = body.get("comments")
    review = actions_reviews.submit_review(
        ctx.world,
        ctx.emulator.webhooks,
        repo,
        issue,
        str(body.get("event", "COMMENT")),
        str(body.get("body") or ""),
        ctx.identity.login,
        comments if isinstance(comments, list) else None,
    )
    return Reply(shapes_git.review(ctx.world, repo, issue, review))


def list_reviews(ctx: Ctx) -> Reply:
    repo, issue = _pull(ctx)
    assert issue.pull is not None
    return ctx.page([shapes_git.review(ctx.world, repo, issue, r) for r in issue.pull.reviews])


def list_review_comments(ctx: Ctx) -> Reply:
    """`GET …/pulls/{n}/comments`, or one review's (`…/reviews/{id}/comments`)."""
    repo, issue = _pull(ctx)
    assert issue.pull is not None
    items = issue.pull.comments
    if "review_id" in ctx.params:
        review_id = int(ctx.params["review_id"])
        if not any(r.id == review_id for r in issue.pull.reviews):
            raise NotFound()
        items = [c for c in items if c.review_id == review_id]
    return ctx.page([review_comment(ctx.world, repo, issue, c) for c in items])


def create_review_comment(ctx: Ctx) -> Reply:
    repo, issue = _pull(ctx)
    require_write(ctx.identity, repo, "pull_requests", role="read")
    body = ctx.json()
    if "in_reply_to" in body:
        made = actions_reviews.reply(
            ctx.world,
            ctx.emulator.webhooks,
            repo,
            issue,
            _comment(issue, body["in_reply_to"]),
            body.get("body"),
            ctx.identity.login,
        )
    else:
        made = actions_reviews.add_line_comment(
            ctx.world, ctx.emulator.webhooks, repo, issue, body, ctx.identity.login
        )
    return _created(ctx, repo, issue, made)


def reply_to_comment(ctx: Ctx) -> Reply:
    repo, issue = _pull(ctx)
    require_write(ctx.identity, repo, "pull_requests", role="read")
    to = _comment(issue, ctx.params["comment_id"])
    made = actions_reviews.reply(
        ctx.world,
        ctx.emulator.webhooks,
        repo,
        issue,
        to,
        ctx.json().get("body"),
        ctx.identity.login,
    )
    return _created(ctx, repo, issue, made)


def _comment(issue: Issue, wanted: object) -> ReviewComment:
    assert issue.pull is not None
    for comment in issue.pull.comments:
        if str(comment.id) == str(wanted):
            return comment
    raise NotFound()


def _created(ctx: Ctx, repo: Repo, issue: Issue, made: ReviewComment) -> Reply:
    url = f"{repo_url(ctx.world, repo)}/pulls/comments/{made.id}"
    return Reply(review_comment(ctx.world, repo, issue, made), 201, {"Location": url})


def merge(ctx: Ctx) -> Reply:
    repo, issue = _pull(ctx)
    require_write(ctx.identity, repo, "contents")
    body = ctx.json()
    sha = actions_reviews.merge(
        ctx.world,
        ctx.emulator.webhooks,
        repo,
        issue,
        ctx.identity.login,
        body.get("sha"),
        body.get("commit_title"),
    )
    return Reply({"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def is_merged(ctx: Ctx) -> Reply:
    _, issue = _pull(ctx)
    assert issue.pull is not None
    if not issue.pull.merged:
        raise NotFound()
    return Reply(None, 204)


P = f"{R}/pulls/{{number}}"
ROUTES = [
    Route(f"{P}/reviews", endpoint(list_reviews), methods=["GET"]),
    Route(f"{P}/reviews", endpoint(create_review), methods=["POST"]),
    Route(
        f"{P}/reviews/{{review_id:int}}/comments", endpoint(list_review_comments), methods=["GET"]
    ),
    Route(f"{P}/comments", endpoint(list_review_comments), methods=["GET"]),
    Route(f"{P}/comments", endpoint(create_review_comment), methods=["POST"]),
    Route(f"{P}/comments/{{comment_id:int}}/replies", endpoint(reply_to_comment), methods=["POST"]),
    Route(f"{P}/merge", endpoint(merge), methods=["PUT"]),
    Route(f"{P}/merge", endpoint(is_merged), methods=["GET"]),
]
