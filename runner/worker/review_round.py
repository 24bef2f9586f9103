"""A review round of a task (bzzz.review): what it answers, what the agent is told, the reply.

The round's feedback ids come from the task (`round_feedback`); their text is
read from GitHub here, as the issue is (runner.worker.brief): writers only,
hidden text stripped, Bzzz's own comments left out. The brief keeps the
original issue and adds the reviewers' words with each line comment's file,
line and diff hunk, then the rest of the pull request's conversation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bzzz.github import fence, is_ours, is_writer, neutralise, pull_number, strip_hidden_html

if TYPE_CHECKING:
    from bzzz.github import GitHubApi, ReviewNote
    from bzzz.store.models import Task
    from runner.agent.types import TaskBrief, TestRun

MAX_HUNK_LINES = 40
ROUND_MARK = "<!-- bzzz:review-round -->"


@dataclass(frozen=True)
class ReviewRound:
    number: int  # 1 for the first round after the pull request opened
    pr_url: str
    pr_number: int
    branch: str  # the pull request's head branch, pushed to as it stands
    feedback: tuple[str, ...]  # `kind:id` of what this round answers

    @property
    def side_branch(self) -> str:
        """Where a failed round's partial work goes: never over the reviewed branch."""
        return f"{self.branch}-round{self.number}-partial"


def round_of(task: Task) -> ReviewRound | None:
    """The review round this attempt answers, or None for the first attempt (from the issue)."""
    if not int(task.round or 0) or not task.pr_url or not task.branch:
        return None
    feedback = json.loads(task.round_feedback) if task.round_feedback else []
    return ReviewRound(
        int(task.round), str(task.pr_url), pull_number(str(task.pr_url)), str(task.branch),
        tuple(str(item) for item in feedback),
    )  # fmt: skip


def _hunk(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(lines[-MAX_HUNK_LINES:])  # the commented line is the hunk's last


def _note(note: ReviewNote, text: str) -> str:
    if note.path:
        where = f"{note.path} line {note.line} ({'old' if note.side == 'LEFT' else 'new'} side)"
        return (
            f"@{note.author} on {where}:\n{text}\n\nThe diff there:\n{fence(_hunk(note.diff_hunk))}"
        )
    state = note.state.replace("_", " ").lower()
    return f"@{note.author} ({state} review):\n{text}"


def review_brief(
    api: GitHubApi, brief: TaskBrief, review: ReviewRound, allowed: frozenset[str]
) -> TaskBrief:
    """The issue's brief with the round's feedback and the pull request's conversation."""
    writers: dict[str, bool] = {}

    def counts(author: str, body: str) -> str:
        if is_ours(body):
            return ""
        if author not in writers:
            writers[author] = is_writer(api.role(brief.repo, author), author, allowed)
        return strip_hidden_html(body).strip() if writers[author] else ""

    asked: list[str] = []
    earlier: list[str] = []
    for note in api.review_feedback(brief.repo, review.pr_number):
        text = counts(note.author, note.body)
        if text:
            (asked if note.ref in review.feedback else earlier).append(_note(note, text))
    conversation = []
    for comment in api.comments(brief.repo, review.pr_number):
        text = counts(comment.author, comment.body)
        if text:
            mark = " (asked in this round)" if f"comment:{comment.id}" in review.feedback else ""
            conversation.append(f"@{comment.author}{mark}:\n{text}")
    parts = [
        f"Review round {review.number} on your pull request #{review.pr_number} for this "
        f"issue. Its branch `{review.branch}` is checked out as it stands now, with any "
        "commits other people pushed to it: keep their work. Make the changes the reviewers "
        "ask for below, keep the tests passing, and finish with a summary of what you changed "
        "for each point.",
        "What the reviewers ask in this round:\n\n" + "\n\n".join(asked or ["(see below)"]),
    ]
    if earlier:
        parts.append("Earlier review comments (already answered):\n\n" + "\n\n".join(earlier))
    if conversation:
        parts.append("The pull request's conversation:\n\n" + "\n\n".join(conversation))
    return replace(brief, review="\n\n".join(parts))


def reply_body(
    review: ReviewRound, summary: str, commit: str | None, test: TestRun | None, note: str
) -> str:
    """The one summary comment a round leaves on the pull request."""
    tests = "_no test command ran_"
    if test is not None:
        verdict = "passed" if test.passed else f"failed (exit {test.exit_code})"
        tests = f"`{neutralise(test.command).replace('`', chr(39))}` {verdict}"
    pushed = f"Pushed {commit[:12]} on `{review.branch}`." if commit else "Nothing was pushed."
    return (
        f"{ROUND_MARK}\n### Bzzz: review round {review.number}\n\n{pushed}\n\n"
        f"{neutralise(summary.strip()) or '_no summary_'}\n\n**Tests**: {tests}\n\n"
        f"**Verification**: {neutralise(note)}"
    )


# Reasons that carry an exception's text (engine URLs, host paths): never shown publicly.
_INTERNAL = ("error:", "runner error:")
RUNNER_PROBLEM = "a runner problem stopped the round (the details are in the runner's log)"


def public_reason(reason: str) -> str:
    return RUNNER_PROBLEM if reason.startswith(_INTERNAL) else reason


def failed_body(review: ReviewRound, reason: str, side: str | None) -> str:
    where = f"Its partial work is on `{side}`." if side else "It left no partial work."
    return (
        f"{ROUND_MARK}\n### Bzzz: review round {review.number} failed\n\n"
        f"{neutralise(public_reason(reason))[:1000]}\n\n"
        f"The branch `{review.branch}` is as it was. {where}"
    )
