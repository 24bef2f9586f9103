"""What the agent is told: the issue and the comments of people with write access.

A comment by anyone else (a drive-by account, a read-only user) could steer
the agent into anything, so it is left out; so is hidden HTML (comments,
`hidden` and `display:none` elements), which readers of the issue never see.
"""

from __future__ import annotations

from bzzz.github import GitHubApi, is_writer, strip_hidden_html
from runner.agent_types import TaskBrief


def task_brief(
    api: GitHubApi, key: str, repo: str, number: int, allowed_users: frozenset[str]
) -> TaskBrief:
    issue = api.issue(repo, number)
    writers: dict[str, bool] = {}
    comments = []
    for comment in api.comments(repo, number):
        if comment.author not in writers:
            role = api.role(repo, comment.author)
            writers[comment.author] = is_writer(role, comment.author, allowed_users)
        if writers[comment.author]:
            comments.append((comment.author, strip_hidden_html(comment.body)))
    return TaskBrief(
        key=key, repo=repo, number=number, title=issue.title,
        body=strip_hidden_html(issue.body), comments=comments,
    )  # fmt: skip
