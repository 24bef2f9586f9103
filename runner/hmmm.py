"""The runner's model in HMMM: it writes the author's plan, reviews peers' plans, answers help.

    participant = start_participant(ctx.settings, runner_id, bus, model)   # at runner start
    discussion = review_plan(participant, model, brief)                     # claimed, before work
    brief = with_discussion(brief, discussion)                              # feedback -> prompt
    participant.stop()                                                      # at runner stop

The protocol (peer queues, waiting, reviewer pool, thread rows) is in
`bzzz.hmmm`; this module only turns model replies into plans and feedback.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING

from bzzz.hmmm import Discussion, Feedback, Participant, Reviewer, discuss
from bzzz.hmmm.feedback import Verdict
from bzzz.messages import Envelope, MessageType
from runner.agent.prompts import task_message

if TYPE_CHECKING:
    from collections.abc import Callable

    from bzzz.config import Settings
    from bzzz.tasks.lifecycle import Publisher
    from runner.agent.model import Model
    from runner.agent.types import TaskBrief

log = logging.getLogger(__name__)

PLAN_SYSTEM = (
    "You are Bzzz, a software engineer about to fix a GitHub issue. Before touching any "
    "code, write a short numbered plan (at most 8 steps) for resolving the issue. Do not "
    "write code. If reviewers raised concerns about an earlier plan, address every concern."
)
REVIEW_SYSTEM = (
    "You are Bzzz, reviewing the plan a peer agent wrote for a GitHub issue. Check the plan "
    "against the issue. Start your reply with APPROVE if the plan will resolve the issue, "
    "or CONCERNS followed by your reasons, one per line."
)
HELP_SYSTEM = (
    "You are Bzzz. A peer agent working on a GitHub issue is stuck and asked a question. "
    "Answer it with concrete, actionable advice. If you cannot help, reply NO_ANSWER."
)
_VERDICT = re.compile(r"^\W*(APPROVE|CONCERNS)\b[:\s-]*", re.IGNORECASE)


def issue_text(brief: TaskBrief) -> str:
    return task_message(dataclasses.replace(brief, extra_context=[]))


def _ask(model: Model, system: str, user: str) -> str:
    reply = model.chat([{"role": "system", "content": system}, {"role": "user", "content": user}])
    return reply.content.strip()


def make_planner(model: Model, brief: TaskBrief) -> Callable[[Discussion], str]:
    """The author's plan maker: round one from the issue, later rounds also from the concerns."""

    def plan(discussion: Discussion) -> str:
        user = issue_text(brief)
        if discussion.plan:
            latest = [f for f in discussion.feedback if f.round == discussion.rounds]
            concerns = "\n".join(f"- {f.sender}: {f.text}" for f in latest if f.concerns)
            user += f"\n\nYour previous plan:\n{discussion.plan}"
            user += f"\n\nReviewers' concerns:\n{concerns}"
        return _ask(model, PLAN_SYSTEM, user)

    return plan


def make_reviewer(model: Model) -> Reviewer:
    """A peer's reviewer: critique a plan (approve / concerns) or answer a help request."""

    def review(envelope: Envelope) -> Feedback | None:
        text = str(envelope.data.get("text", ""))
        if envelope.type is MessageType.HMMM_HELP:
            answer = _ask(model, HELP_SYSTEM, f"Task {envelope.task}. The question:\n{text}")
            return None if "NO_ANSWER" in answer or not answer else Feedback(None, answer)
        issue = str(envelope.data.get("issue") or f"Issue {envelope.task}")
        answer = _ask(model, REVIEW_SYSTEM, f"{issue}\n\nThe plan:\n{text}")
        found = _VERDICT.match(answer)
        verdict: Verdict = (
            "approve" if found and found.group(1).upper() == "APPROVE" else "concerns"
        )
        reasons = answer[found.end() :].strip() if found else answer
        return Feedback(verdict, reasons or answer or verdict)

    return review


def start_participant(
    settings: Settings,
    runner_id: str,
    publisher: Publisher,
    model: Model,
    *,
    reviewers: int = 2,
    wait_seconds: float = 120.0,
) -> Participant:
    """Create the runner's peer queue and start reviewing; call after the agent row is written."""
    participant = Participant(
        settings, runner_id, publisher, reviewer=make_reviewer(model),
        reviewers=reviewers, wait_seconds=wait_seconds,
    )  # fmt: skip
    participant.start()
    return participant


def review_plan(
    participant: Participant,
    model: Model,
    brief: TaskBrief,
    *,
    max_rounds: int = 2,
    attempt: int = 1,
) -> Discussion:
    """Plan, publish `hmmm.plan`, gather feedback (bounded wait, bounded rounds)."""
    discussion = discuss(
        participant, brief.key, issue_text(brief), make_planner(model, brief),
        max_rounds=max_rounds, attempt=attempt,
    )  # fmt: skip
    log.info(
        "%s: plan reviewed in %d round(s), %d feedback message(s)",
        brief.key, discussion.rounds, len(discussion.feedback),
    )  # fmt: skip
    return discussion


def with_discussion(brief: TaskBrief, discussion: Discussion) -> TaskBrief:
    """The brief with the plan and the peers' feedback added to its extra context."""
    return dataclasses.replace(brief, extra_context=[*brief.extra_context, *discussion.context()])
