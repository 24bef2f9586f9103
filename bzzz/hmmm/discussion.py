"""The author's plan review, round by round.

    discussion = discuss(participant, "o/r#1", issue_text, make_plan, max_rounds=2)
    brief.extra_context += discussion.context()

Each round the author makes a plan (the second and later rounds see the
concerns of the previous ones), publishes it and collects feedback. It stops
when every answer approves, when nobody answered, or after `max_rounds`.
"""

from __future__ import annotations

from collections.abc import Callable

from bzzz.hmmm.feedback import Discussion
from bzzz.hmmm.participant import Participant


def discuss(
    participant: Participant,
    task: str,
    issue: str,
    make_plan: Callable[[Discussion], str],
    *,
    max_rounds: int = 2,
    attempt: int = 1,
) -> Discussion:
    discussion = Discussion(task)
    for round_number in range(1, max(1, max_rounds) + 1):
        plan = make_plan(discussion).strip()
        if not plan:
            break
        discussion.plan, discussion.rounds = plan, round_number
        got = participant.ask_for_review(
            task, plan, issue=issue, round=round_number, attempt=attempt
        )
        discussion.peers = max(discussion.peers, len(got))
        discussion.feedback.extend(got)
        if not got or not any(item.concerns for item in got):
            break
    return discussion
