"""The GitHub REST client Bzzz uses, and what it knows of GitHub's rules.

`GitHubApi` wraps githubkit (imported on first use: it costs most of a second
and ~35 MB, which a webhook that never calls GitHub should not pay). Every
failure comes out as a `GitHubError` subclass.
"""

from bzzz.github.client import (
    Comment,
    GitHubApi,
    IssueInfo,
    OpenPull,
    PullRequest,
    ReviewNote,
    pull_number,
)
from bzzz.github.neutralise import fence, neutralise
from bzzz.github.permissions import WRITE_ROLES, is_writer
from bzzz.github.text import is_ours, marked, strip_hidden, strip_hidden_html

__all__ = [
    "WRITE_ROLES",
    "Comment",
    "GitHubApi",
    "IssueInfo",
    "OpenPull",
    "PullRequest",
    "ReviewNote",
    "fence",
    "is_ours",
    "is_writer",
    "marked",
    "neutralise",
    "pull_number",
    "strip_hidden",
    "strip_hidden_html",
]
