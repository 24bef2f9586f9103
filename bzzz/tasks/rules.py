"""Every legal move of a task, declared once: the rule table of the state machine.

A rule says where a transition may start (`sources`; `from_absent` for a task
that does not exist yet), where it lands (`target`; None keeps the state), who
may make it (`actors`), what must also hold (`guards`), and what it does besides
the state: the lease, the attempt counter, the message it emits and whether it
is audited. `bzzz.tasks.writes` turns a rule into its one conditional write;
`Lifecycle.apply` is the one function that applies it. Nothing else writes a
task's state.

    rule        from                     guards                       -> to
    create      (absent) or terminal     -                            queued
    claim       queued                   -                            claimed   (lease taken)
    take_over   claimed, running         lease expired, attempts left claimed   (attempt + 1)
    heartbeat   claimed, running         lease held                   (same)    (lease renewed)
    start       claimed                  lease held                   running
    complete    running                  lease held                   completed
    fail        claimed, running         lease held                   failed
    escalate    claimed, running         lease held                   escalated
    release     claimed, running         lease held                   queued    (same attempt)
    expire      claimed, running         lease expired, attempts left queued    (attempt + 1)
    give_up     claimed, running         lease expired, attempts spent failed
    resume      escalated                -                            queued
    republish   queued                   stale                        queued    (announced again)
    cancel      queued, claimed, running, escalated   -               cancelled
    revise      completed, failed        has an open PR, feedback due, queued      (round + 1,
                                         rounds left                   attempt = 1)

`revise` starts a review round (bzzz.review): a new attempt of the same task on
its own pull request, fired once the feedback writers left on it has been
quiet for a while; the same write takes the pending feedback off the task.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from bzzz.messages import MessageType
from bzzz.tasks.states import ACTIVE, LEASED, TERMINAL, State


class ActorKind(StrEnum):
    """Who makes a transition; a method of `Lifecycle` names one per call."""

    RUNNER = "runner"  # any runner: the one that claims becomes the lease owner
    OWNER = "owner"  # the runner holding the task's unexpired lease
    CONTROL_PLANE = "control-plane"  # the control plane, on its own judgement
    HUMAN = "human"  # a person on GitHub (a writer), relayed by the control plane


class Guard(StrEnum):
    """A condition besides the source state, evaluated inside the same write."""

    LEASE_HELD = "lease held"  # lease_owner = the actor and lease_expires_at >= now
    LEASE_EXPIRED = "lease expired"  # lease_expires_at < now
    ATTEMPTS_LEFT = "attempts left"  # attempt < max_attempts
    ATTEMPTS_SPENT = "attempts spent"  # attempt >= max_attempts
    STALE = "stale"  # updated_at < now - stuck_seconds: its announcement may be lost
    # created_at < the event's time: a finished task is replaced only by an event newer than
    # it (a redelivered old `labeled` must not redo finished work). Only where the item exists.
    EVENT_NEWER = "event newer"
    PR_OPEN = "open pull request"  # the task has a pull request, not merged or closed
    FEEDBACK_DUE = "feedback due"  # review feedback waits and has been quiet long enough
    ROUNDS_LEFT = "rounds left"  # round < max_rounds


class Lease(Enum):
    KEEP = "keep"
    TAKE = "take"  # the actor becomes the owner until now + lease_seconds
    RENEW = "renew"  # the owner's lease runs until now + lease_seconds
    END = "end"  # nobody holds it


class Attempt(Enum):
    KEEP = "keep"
    NEXT = "next"  # a new attempt: attempt + 1
    FIRST = "first"  # a fresh task: attempt = 1


@dataclass(frozen=True)
class Rule:
    name: str
    sources: frozenset[State]
    target: State | None
    actors: frozenset[ActorKind]
    guards: tuple[Guard, ...] = ()
    lease: Lease = Lease.KEEP
    attempt: Attempt = Attempt.KEEP
    message: MessageType | None = None
    audited: bool = True
    from_absent: bool = False
    next_round: bool = False  # a review round: round + 1
    clears: tuple[str, ...] = ()  # attributes the same write removes


# What a review round's feedback leaves on the task until the round starts (bzzz.review).
FEEDBACK_ATTRIBUTES = ("feedback", "feedback_first_at", "feedback_last_at")

_OWNER = frozenset({ActorKind.OWNER})
_RUNNER = frozenset({ActorKind.RUNNER})
_CONTROL_PLANE = frozenset({ActorKind.CONTROL_PLANE})
_PEOPLE = frozenset({ActorKind.HUMAN, ActorKind.CONTROL_PLANE})
_HELD = (Guard.LEASE_HELD,)

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("create", TERMINAL, State.QUEUED, _CONTROL_PLANE, (Guard.EVENT_NEWER,), Lease.END,
             Attempt.FIRST, MessageType.TASK_AVAILABLE, from_absent=True),
        # The reconcile poll's: it knows no event of the summons, only that the label is
        # there and it saw no task, a listing that may be older than a task a webhook made
        # (and finished) meanwhile. So it makes a task only where none exists.
        Rule("create_missed", frozenset(), State.QUEUED, _CONTROL_PLANE, (), Lease.END,
             Attempt.FIRST, MessageType.TASK_AVAILABLE, from_absent=True),
        Rule("claim", frozenset({State.QUEUED}), State.CLAIMED, _RUNNER, (), Lease.TAKE,
             Attempt.KEEP, MessageType.TASK_CLAIMED),
        Rule("take_over", LEASED, State.CLAIMED, _RUNNER,
             (Guard.LEASE_EXPIRED, Guard.ATTEMPTS_LEFT), Lease.TAKE, Attempt.NEXT,
             MessageType.TASK_CLAIMED),
        Rule("heartbeat", LEASED, None, _OWNER, _HELD, Lease.RENEW, audited=False),
        Rule("start", frozenset({State.CLAIMED}), State.RUNNING, _OWNER, _HELD, Lease.RENEW,
             Attempt.KEEP, MessageType.TASK_PROGRESS),
        Rule("complete", frozenset({State.RUNNING}), State.COMPLETED, _OWNER, _HELD, Lease.END,
             Attempt.KEEP, MessageType.TASK_COMPLETED),
        Rule("fail", LEASED, State.FAILED, _OWNER, _HELD, Lease.END, Attempt.KEEP,
             MessageType.TASK_FAILED),
        Rule("escalate", LEASED, State.ESCALATED, _OWNER, _HELD, Lease.END, Attempt.KEEP,
             MessageType.TASK_ESCALATED),
        Rule("release", LEASED, State.QUEUED, _OWNER, _HELD, Lease.END, Attempt.KEEP,
             MessageType.TASK_AVAILABLE),
        Rule("expire", LEASED, State.QUEUED, _CONTROL_PLANE,
             (Guard.LEASE_EXPIRED, Guard.ATTEMPTS_LEFT), Lease.END, Attempt.NEXT,
             MessageType.TASK_AVAILABLE),
        Rule("give_up", LEASED, State.FAILED, _CONTROL_PLANE,
             (Guard.LEASE_EXPIRED, Guard.ATTEMPTS_SPENT), Lease.END, Attempt.KEEP,
             MessageType.TASK_FAILED),
        Rule("resume", frozenset({State.ESCALATED}), State.QUEUED, _PEOPLE, (), Lease.END,
             Attempt.KEEP, MessageType.TASK_AVAILABLE),
        Rule("republish", frozenset({State.QUEUED}), None, _CONTROL_PLANE, (Guard.STALE,),
             Lease.KEEP, Attempt.KEEP, MessageType.TASK_AVAILABLE),
        Rule("cancel", ACTIVE, State.CANCELLED, _PEOPLE, (), Lease.END, Attempt.KEEP,
             MessageType.TASK_CANCELLED),
        Rule("revise", frozenset({State.COMPLETED, State.FAILED}), State.QUEUED, _PEOPLE,
             (Guard.PR_OPEN, Guard.FEEDBACK_DUE, Guard.ROUNDS_LEFT), Lease.END, Attempt.FIRST,
             MessageType.TASK_AVAILABLE, next_round=True, clears=FEEDBACK_ATTRIBUTES),
    )
}  # fmt: skip
