"""The task state machine: `Lifecycle.apply` is the one function that applies a rule.

Each rule of `bzzz.tasks.rules` becomes one DynamoDB UpdateItem whose condition
holds the rule's source states and guards (`bzzz.tasks.writes`), so two writers
can never both win and a runner that lost its lease can change nothing. A
refused write comes back with the item as it was, so the typed error names the
task's current state and owner at no extra read.

Every successful transition calls the listeners (where the audit log hooks in)
when the rule is audited, then emits the rule's message through the publisher.
The methods below are the vocabulary callers use; each is one `apply`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.errors import TransitionError
from bzzz.messages import Envelope, MessageType
from bzzz.store.conditions import refused_item
from bzzz.store.models import Task
from bzzz.tasks.keys import task_key
from bzzz.tasks.rules import RULES, ActorKind
from bzzz.tasks.states import LEASED
from bzzz.tasks.writes import Call, Value, explain, render, snapshot

CONTROL_PLANE = "control-plane"


@dataclass(frozen=True)
class Actor:
    """Who applies a rule: its kind (checked against the rule) and the name recorded."""

    kind: ActorKind
    name: str

    @classmethod
    def human(cls, login: str) -> Actor:
        return cls(ActorKind.HUMAN, f"github:{login}")


CONTROL_PLANE_ACTOR = Actor(ActorKind.CONTROL_PLANE, CONTROL_PLANE)


class Publisher(Protocol):
    def publish(self, envelope: Envelope) -> str: ...


Listener = Callable[[str, Task, str], None]  # (transition, task after, actor)


class Lifecycle:
    def __init__(
        self,
        settings: Settings,
        *,
        publisher: Publisher | None = None,
        listeners: Iterable[Listener] = (),
        clock: Callable[[], float] = time.time,
        dynamodb: Any = None,
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._listeners = list(listeners)
        self._clock = clock
        self._db = dynamodb or aws.client("dynamodb", settings)

    def get(self, key: str) -> Task | None:
        reply = self._db.get_item(
            TableName=self._settings.tasks_table, Key={"key": {"S": key}}, ConsistentRead=True
        )
        item = reply.get("Item")
        return Task.from_raw_data(item) if item else None

    # ----- the one function ---------------------------------------------------

    def apply(
        self,
        name: str,
        key: str,
        actor: Actor,
        fields: Mapping[str, Value | None] | None = None,
        *,
        stale_before: float = 0.0,
        event_at: float | None = None,
        quiet_before: float = 0.0,
        delivery: str = "",
    ) -> Task:
        """Apply rule `name` to task `key` as `actor` in one conditional write."""
        rule = RULES[name]
        if actor.kind not in rule.actors:
            allowed = " or ".join(sorted(rule.actors))
            raise TransitionError(key, name, None, None, f"made by {allowed}, not {actor.kind}")
        now = round(self._clock(), 3)
        call = Call(actor.name, now, self._settings.lease_seconds,
                    self._settings.max_attempts, stale_before, event_at,
                    quiet_before, self._settings.max_review_rounds, delivery)  # fmt: skip
        try:
            reply = self._db.update_item(
                TableName=self._settings.tasks_table,
                Key={"key": {"S": key}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **render(rule, call, fields or {}),
            )
        except ClientError as exc:
            raise explain(rule, call, key, refused_item(exc)) from None
        task = Task.from_raw_data(reply["Attributes"])
        # The audit entry first: whatever the message sets off (a runner claiming a task
        # just queued) is appended after it, so the stream shows the transition before
        # its consequences and the verifier's lease tracking follows the real order.
        if rule.audited:
            for listener in self._listeners:
                listener(name, task, actor.name)
        if rule.message is not None:
            self._publish(name, task, actor.name, rule.message)
        return task

    # ----- the control plane ----------------------------------------------------

    def create(
        self,
        repo: str,
        number: int,
        title: str = "",
        approved: tuple[str, str] | None = None,
        event_at: float | None = None,
        delivery: str = "",
        *,
        missed: bool = False,
    ) -> tuple[Task, bool]:
        """Queue a task for an issue unless one is active; return (task, created).

        `missed`: the reconcile poll's summons (rule create_missed), which knows of no event
        and so makes a task only where none exists, never over a finished one.

        `approved` is (digest, approver): the issue text a writer approved
        (bzzz.intake.approval); the runner briefs an agent on that text only.
        `event_at`: when the event asking for it happened (GitHub's clock). A finished task
        is replaced only by an event newer than the one that summoned it: a redelivered
        `labeled` (GitHub offers redelivery after an outage) finds it and changes nothing.
        """
        now = round(self._clock(), 3)
        fields: dict[str, Value | None] = {
            "repo": repo, "number": number, "title": title, "created_at": now
        }  # fmt: skip
        if approved is not None:
            fields["approved_digest"], fields["approved_by"] = approved
        if event_at is not None:
            fields["summoned_at"], fields["summoned_by"] = event_at, delivery or None
        key = task_key(repo, number)
        try:
            rule = "create_missed" if missed else "create"
            created = self.apply(rule, key, CONTROL_PLANE_ACTOR, fields,
                                 event_at=event_at, delivery=delivery)  # fmt: skip
            return created, True
        except TransitionError as refused:
            existing = self.get(key)  # active (tasks are never deleted)
            if existing is None:
                raise refused from None
            return existing, False

    def expire(self, key: str, attempt: int, reason: str) -> Task:
        """An expired lease: a new attempt, or past the last one the task fails."""
        if attempt >= self._settings.max_attempts:
            why = f"{reason}; gave up after {attempt} attempts"
            return self.apply("give_up", key, CONTROL_PLANE_ACTOR, {"reason": why})
        return self.apply("expire", key, CONTROL_PLANE_ACTOR, {"reason": reason})

    def republish(self, key: str, stale_before: float) -> Task:
        """Announce a queued task again whose announcement may have been lost."""
        return self.apply("republish", key, CONTROL_PLANE_ACTOR, stale_before=stale_before)

    def resume(self, key: str, reason: str, actor: Actor = CONTROL_PLANE_ACTOR) -> Task:
        """An escalated task goes back to the queue (a human or a peer answered)."""
        return self.apply("resume", key, actor, {"reason": reason})

    def cancel(self, key: str, reason: str, actor: Actor = CONTROL_PLANE_ACTOR) -> Task:
        return self.apply("cancel", key, actor, {"reason": reason})

    def revise(self, key: str, feedback: str, quiet_before: float, reason: str) -> Task:
        """Start a review round: the task is queued again with `feedback` (bzzz.review)."""
        fields = {"round_feedback": feedback, "reason": reason}
        return self.apply("revise", key, CONTROL_PLANE_ACTOR, fields, quiet_before=quiet_before)

    # ----- runners ----------------------------------------------------------------

    def claim(self, key: str, agent: str) -> Task:
        """Take a queued task, or take over one whose lease expired (a new attempt)."""
        runner = Actor(ActorKind.RUNNER, agent)
        try:
            return self.apply("claim", key, runner)
        except TransitionError as refused:
            if refused.state not in LEASED or refused.lease_expires_at >= self._clock():
                raise
        return self.apply("take_over", key, runner)

    def heartbeat(self, key: str, agent: str) -> Task:
        return self.apply("heartbeat", key, _owner(agent))

    def start(self, key: str, agent: str) -> Task:
        return self.apply("start", key, _owner(agent))

    def complete(
        self,
        key: str,
        agent: str,
        pr_url: str,
        branch: str | None = None,
        note: str | None = None,
        review_updated_at: str | None = None,
    ) -> Task:
        """`note`: whether the pull request is a verified fix (the status comment shows it);
        `review_updated_at`: the pull request's settled `updated_at` as the runner left it
        (bzzz.review.catch_up)."""
        fields = {"pr_url": pr_url, "branch": branch, "reason": note,
                  "review_updated_at": review_updated_at}  # fmt: skip
        return self.apply("complete", key, _owner(agent), fields)

    def fail(self, key: str, agent: str, reason: str, branch: str | None = None) -> Task:
        return self.apply("fail", key, _owner(agent), {"reason": reason, "branch": branch})

    def escalate(self, key: str, agent: str, reason: str) -> Task:
        return self.apply("escalate", key, _owner(agent), {"reason": reason})

    def release(self, key: str, agent: str, reason: str) -> Task:
        """The owner gives the task back (shutdown, model host gone): same attempt."""
        return self.apply("release", key, _owner(agent), {"reason": reason})

    # ----- machinery ----------------------------------------------------------------

    def _publish(self, transition: str, task: Task, actor: str, message: MessageType) -> None:
        if self._publisher is None:
            return
        data = snapshot(task)
        if message is MessageType.TASK_PROGRESS:
            data = {"state": task.state, "stage": transition, "attempt": int(task.attempt),
                    "lease_owner": task.lease_owner}  # fmt: skip
        self._publisher.publish(Envelope(type=message, sender=actor, task=task.key, data=data))


def _owner(agent: str) -> Actor:
    return Actor(ActorKind.OWNER, agent)
