"""JSON shape of a pull request review comment (a comment on a line of the diff).

One shape serves the REST replies (`pull-request-review-comment`) and the
`pull_request_review_comment` webhook, whose schema forbids extra properties.
"""

from __future__ import annotations

from typing import Any

from infra.github_emulator.shapes import author_association, reaction_rollup
from infra.github_emulator.shapes_repo import node_id, repo_url, user
from infra.github_emulator.state import Issue, Repo, ReviewComment, World, iso


def review_comment(world: World, repo: Repo, item: Issue, rc: ReviewComment) -> dict[str, Any]:
    api = f"{repo_url(world, repo)}/pulls/comments/{rc.id}"
    pull_api = f"{repo_url(world, repo)}/pulls/{item.number}"
    html = f"{world.base_url}/{repo.full_name}/pull/{item.number}#discussion_r{rc.id}"
    shape: dict[str, Any] = {
        "url": api,
        "pull_request_review_id": rc.review_id,
        "id": rc.id,
        "node_id": node_id("PRRC", rc.id),
        "diff_hunk": rc.diff_hunk,
        "path": rc.path,
        "position": rc.position,
        "original_position": rc.position,
        "commit_id": rc.commit_id,
        "original_commit_id": rc.commit_id,
        "user": user(world, rc.user),
        "body": rc.body,
        "created_at": iso(rc.created_at),
        "updated_at": iso(rc.updated_at),
        "html_url": html,
        "pull_request_url": pull_api,
        "author_association": author_association(repo, rc.user),
        "_links": {
            "self": {"href": api},
            "html": {"href": html},
            "pull_request": {"href": pull_api},
        },
        "reactions": reaction_rollup(f"{api}/reactions", []),
        "start_line": None,
        "original_start_line": None,
        "start_side": None,
        "line": rc.line,
        "original_line": rc.line,
        "side": rc.side,
        "subject_type": "line",
    }
    if rc.in_reply_to is not None:
        shape["in_reply_to_id"] = rc.in_reply_to
    return shape
