"""Reviews, line comments and merges of pull requests, each announced by its webhook.

Callers hold the world's lock and have already checked permissions. A review
with line comments sends one `pull_request_review_comment` per comment and then
one `pull_request_review`, as GitHub does (a review with ten comments is eleven
deliveries); a lone line comment is a review of its own, state COMMENTED.
"""

from __future__ import annotations

from typing import Any

from infra.github_emulator import diff_lines, events, gitrepo
from infra.github_emulator.errors import GitHubError, Unprocessable
from infra.github_emulator.state import Issue, Repo, Review, ReviewComment, World, now
from infra.github_emulator.webhooks import Webhooks

REVIEW_STATES = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}


class NotMergeable(GitHubError):
    """405: GitHub's answer to a merge that cannot be made (closed, conflicts)."""

    status = 405


class HeadModified(GitHubError):
    """409: the head moved since the `sha` the merge was asked for."""

    status = 409


def _simple(message: str) -> Unprocessable:
    # The review endpoints answer with `validation-error-simple`: errors are strings.
    return Unprocessable("Unprocessable Entity", errors=[message])


def head_sha(repo: Repo, issue: Issue) -> str:
    assert issue.pull is not None
    return gitrepo.resolve(repo.git_dir, f"refs/heads/{issue.pull.head}") or "0" * 40


def _line_comment(
    world: World, repo: Repo, issue: Issue, review_id: int, spec: object, actor: str
) -> ReviewComment:
    assert issue.pull is not None
    if not isinstance(spec, dict):
        raise _simple("comments must be objects")
    path, body, line = spec.get("path"), spec.get("body"), spec.get("line")
    side = spec.get("side") or "RIGHT"
    if not isinstance(path, str) or not path or not isinstance(body, str) or not body:
        raise _simple("path and body are required for each comment")
    if not isinstance(line, int) or isinstance(line, bool) or side not in ("LEFT", "RIGHT"):
        raise _simple("line (an integer) and side (LEFT or RIGHT) locate the comment")
    pr = issue.pull
    text = gitrepo.diff(repo.git_dir, f"refs/heads/{pr.base}", f"refs/heads/{pr.head}", path)
    found = diff_lines.anchor(text or "", line, side)
    if found is None:
        raise _simple("Line could not be resolved")  # GitHub's words for a line off the diff
    return ReviewComment(
        id=world.new_id(),
        review_id=review_id,
        user=actor,
        body=body,
        path=path,
        line=line,
        side=side,
        position=found.position,
        diff_hunk=found.diff_hunk,
        commit_id=head_sha(repo, issue),
    )


def submit_review(
    world: World,
    hooks: Webhooks,
    repo: Repo,
    issue: Issue,
    event: str,
    body: str,
    actor: str,
    comments: list[Any] | None = None,
) -> Review:
    """A submitted review (APPROVE, REQUEST_CHANGES, COMMENT), with its line comments."""
    assert issue.pull is not None
    state = REVIEW_STATES.get(event)
    if state is None:
        raise _simple(f"event must be one of {', '.join(REVIEW_STATES)}")
    if state == "CHANGES_REQUESTED" and not body:
        raise _simple("Body is required when requesting changes")
    if state == "COMMENTED" and not body and not comments:
        raise _simple("Body or comments are required for a comment review")
    review = Review(
        id=world.new_id(), user=actor, body=body, state=state, commit_id=head_sha(repo, issue)
    )
    # Every comment is checked before anything is stored: a bad one refuses the whole review.
    made = [_line_comment(world, repo, issue, review.id, c, actor) for c in comments or []]
    issue.pull.reviews.append(review)
    issue.pull.comments.extend(made)
    issue.updated_at = now()
    for comment in made:
        hooks.emit(
            "pull_request_review_comment",
            events.pull_request_review_comment(world, repo, issue, comment, actor),
        )
    hooks.emit("pull_request_review", events.pull_request_review(world, repo, issue, review, actor))
    return review


def add_line_comment(
    world: World, hooks: Webhooks, repo: Repo, issue: Issue, spec: dict[str, Any], actor: str
) -> ReviewComment:
    """A lone line comment (POST …/pulls/{n}/comments): its own COMMENTED review."""
    assert issue.pull is not None
    review = Review(
        id=world.new_id(), user=actor, body="", state="COMMENTED", commit_id=head_sha(repo, issue)
    )
    comment = _line_comment(world, repo, issue, review.id, spec, actor)
    issue.pull.reviews.append(review)
    issue.pull.comments.append(comment)
    issue.updated_at = now()
    hooks.emit(
        "pull_request_review_comment",
        events.pull_request_review_comment(world, repo, issue, comment, actor),
    )
    hooks.emit("pull_request_review", events.pull_request_review(world, repo, issue, review, actor))
    return comment


def reply(
    world: World,
    hooks: Webhooks,
    repo: Repo,
    issue: Issue,
    to: ReviewComment,
    body: object,
    actor: str,
) -> ReviewComment:
    """A reply in a line comment's thread: same place in the diff, `in_reply_to_id` set."""
    assert issue.pull is not None
    if not isinstance(body, str) or not body:
        raise Unprocessable(
            errors=[
                {"resource": "PullRequestReviewComment", "field": "body", "code": "missing_field"}
            ]
        )
    review = Review(
        id=world.new_id(), user=actor, body="", state="COMMENTED", commit_id=head_sha(repo, issue)
    )
    comment = ReviewComment(
        id=world.new_id(),
        review_id=review.id,
        user=actor,
        body=body,
        path=to.path,
        line=to.line,
        side=to.side,
        position=to.position,
        diff_hunk=to.diff_hunk,
        commit_id=review.commit_id,
        in_reply_to=to.in_reply_to or to.id,
    )
    issue.pull.reviews.append(review)
    issue.pull.comments.append(comment)
    hooks.emit(
        "pull_request_review_comment",
        events.pull_request_review_comment(world, repo, issue, comment, actor),
    )
    return comment


def merge(
    world: World,
    hooks: Webhooks,
    repo: Repo,
    issue: Issue,
    actor: str,
    sha: object = None,
    title: object = None,
) -> str:
    """Merge with a merge commit; the pull request closes and `pull_request.closed` says merged."""
    assert issue.pull is not None
    pr = issue.pull
    if issue.state != "open" or pr.merged:
        raise NotMergeable("Pull Request is not mergeable")
    if sha is not None and sha != head_sha(repo, issue):
        raise HeadModified("Head branch was modified. Review and try the merge again.")
    message = (
        title
        if isinstance(title, str) and title
        else (f"Merge pull request #{issue.number} from {repo.owner}/{pr.head}\n\n{issue.title}")
    )
    who = world.user(actor)
    author = (who.name or who.login, who.email or f"{who.login}@users.noreply.github.com")
    commit = gitrepo.merge(repo.git_dir, pr.base, pr.head, message, author)
    if commit is None:
        raise NotMergeable("Pull Request is not mergeable")
    pr.merged, pr.merged_at, pr.merged_by, pr.merge_commit_sha = True, now(), actor, commit
    issue.state, issue.state_reason = "closed", None
    issue.closed_at = issue.updated_at = now()
    hooks.emit("pull_request", events.pull_request(world, repo, issue, "closed", actor))
    return commit


def synchronized(
    world: World, hooks: Webhooks, repo: Repo, before: dict[int, str], actor: str
) -> None:
    """After a push: `pull_request.synchronize` for each open pull request whose head moved."""
    for number, old in before.items():
        issue = repo.issues[number]
        new = head_sha(repo, issue)
        if new != old:
            payload = events.pull_request(world, repo, issue, "synchronize", actor)
            hooks.emit("pull_request", {**payload, "before": old, "after": new})


def open_heads(repo: Repo) -> dict[int, str]:
    """The head commit of every open pull request, to compare after a push."""
    return {n: head_sha(repo, i) for n, i in repo.issues.items() if i.pull and i.state == "open"}
