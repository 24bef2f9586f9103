"""The task state machine: every transition is one conditional write.

Each method below issues a single DynamoDB UpdateItem (or PutItem) whose
condition encodes the rule of `bzzz.tasks.states`: the allowed source states, and for
an agent's transition its unexpired lease. Two writers can therefore never both
win, and a writer that lost its lease can change nothing. A refused write comes
back with the item as it was (`ReturnValuesOnConditionCheckFailure=ALL_OLD`), so
the typed error names the task's current state and owner at no extra read.

Every successful transition emits one envelope through the publisher (and the
listeners, which is where the audit log hooks in).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, Protocol

from botocore.exceptions import ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.errors import LeaseLostError, TaskNotFoundError, TransitionError
from bzzz.messages import Envelope, MessageType
from bzzz.store.models import Task
from bzzz.tasks.keys import task_key
from bzzz.tasks.states import LEASED, RULES, TERMINAL, State
from bzzz.tasks.writes import UpdateSpec, snapshot

CONTROL_PLANE = "control-plane"


class _RuleMessage(Enum):
    """Sentinel: emit the message the transition's rule names."""

    RULE = "rule"


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

    # ----- reads ------------------------------------------------------------

    def get(self, key: str) -> Task | None:
        reply = self._db.get_item(
            TableName=self._settings.tasks_table, Key={"key": {"S": key}}, ConsistentRead=True
        )
        item = reply.get("Item")
        return Task.from_raw_data(item) if item else None

    # ----- transitions ------------------------------------------------------

    def create(self, repo: str, number: int, title: str = "") -> tuple[Task, bool]:
        """Queue a task for an issue unless one is active; return (task, created)."""
        key = task_key(repo, number)
        now = self._now()
        item = {
            "key": {"S": key},
            "repo": {"S": repo},
            "number": {"N": str(number)},
            "title": {"S": title},
            "state": {"S": State.QUEUED.value},
            "lease_expires_at": {"N": "0"},
            "attempt": {"N": "1"},
            "version": {"N": "1"},
            "created_at": {"N": str(now)},
            "updated_at": {"N": str(now)},
        }
        terminal = {f":t{i}": {"S": s.value} for i, s in enumerate(sorted(TERMINAL))}
        try:
            self._db.put_item(
                TableName=self._settings.tasks_table,
                Item=item,
                ConditionExpression=f"attribute_not_exists(#k) OR #s IN ({', '.join(terminal)})",
                ExpressionAttributeNames={"#k": "key", "#s": "state"},
                ExpressionAttributeValues=terminal,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            existing = _refused_item(exc)
            return Task.from_raw_data(existing), False
        task = Task.from_raw_data(item)
        self._emit("create", task, CONTROL_PLANE, MessageType.TASK_AVAILABLE)
        return task, True

    def claim(self, key: str, agent: str) -> Task:
        """Take a queued task, or take over one whose lease expired (a new attempt)."""
        now = self._now()
        spec = UpdateSpec.for_rule(RULES["claim"])
        spec.set_lease(agent, now + self._settings.lease_seconds)
        try:
            return self._write("claim", key, spec, agent, now)
        except TransitionError as refused:
            if refused.state not in LEASED or refused.lease_expires_at >= now:
                raise
            found = refused
        # The lease expired: take it over only if nothing changed since the refusal.
        if (found.attempt or 0) >= self._settings.max_attempts:
            raise TransitionError(
                key,
                "claim",
                found.state,
                found.owner,
                f"lease expired on the last of {self._settings.max_attempts} attempts; "
                "the reconcile poll will fail it",
                version=found.version,
                attempt=found.attempt,
                lease_expires_at=found.lease_expires_at,
            )
        takeover = UpdateSpec.takeover(found.version or 0, now)
        takeover.set_lease(agent, now + self._settings.lease_seconds)
        takeover.add("attempt", 1)
        return self._write("claim", key, takeover, agent, now)

    def heartbeat(self, key: str, agent: str) -> Task:
        """Extend the caller's lease; refused once it is not the caller's."""
        now = self._now()
        spec = UpdateSpec.for_rule(RULES["heartbeat"], owner=agent, now=now, keep_state=True)
        spec.put("lease_expires_at", now + self._settings.lease_seconds)
        return self._write("heartbeat", key, spec, agent, now, message=None)

    def start(self, key: str, agent: str) -> Task:
        now = self._now()
        spec = UpdateSpec.for_rule(RULES["start"], owner=agent, now=now)
        spec.put("lease_expires_at", now + self._settings.lease_seconds)
        return self._write("start", key, spec, agent, now)

    def complete(self, key: str, agent: str, pr_url: str, branch: str | None = None) -> Task:
        now = self._now()
        spec = UpdateSpec.for_rule(RULES["complete"], owner=agent, now=now)
        spec.put("pr_url", pr_url)
        spec.put_optional("branch", branch)
        spec.clear_lease()
        return self._write("complete", key, spec, agent, now)

    def fail(self, key: str, agent: str, reason: str, branch: str | None = None) -> Task:
        return self._let_go("fail", key, agent, reason, branch)

    def escalate(self, key: str, agent: str, reason: str) -> Task:
        return self._let_go("escalate", key, agent, reason)

    def release(self, key: str, agent: str, reason: str) -> Task:
        """The owner gives the task back (shutdown, model host gone): same attempt."""
        return self._let_go("release", key, agent, reason)

    def _let_go(
        self, transition: str, key: str, agent: str, reason: str, branch: str | None = None
    ) -> Task:
        """The owner ends its lease, saying why (fail, escalate, release)."""
        now = self._now()
        spec = UpdateSpec.for_rule(RULES[transition], owner=agent, now=now)
        spec.put("reason", reason)
        spec.put_optional("branch", branch)
        spec.clear_lease()
        return self._write(transition, key, spec, agent, now)

    def requeue(self, key: str, reason: str) -> Task:
        """Back to queued: an escalated task a human answered, or an expired lease.

        An expired lease starts a new attempt; past the maximum the task fails
        instead. Decided on a consistent read, written conditioned on its version.
        """
        now = self._now()
        task = self.get(key)
        if task is None:
            raise TaskNotFoundError(key, "requeue", None, None, "no such task")
        state = State(task.state)
        expired = state in LEASED and task.lease_expires_at < now
        if state is not State.ESCALATED and not expired:
            reason_refused = (
                "lease still held" if state in LEASED else f"cannot requeue from {state}"
            )
            raise TransitionError(key, "requeue", task.state, task.lease_owner, reason_refused)
        spec = UpdateSpec.versioned(int(task.version), now)
        spec.put("reason", reason)
        spec.clear_lease()
        if expired and task.attempt >= self._settings.max_attempts:
            spec.put("state", State.FAILED.value)
            spec.put("reason", f"{reason}; gave up after {task.attempt} attempts")
            return self._write("fail", key, spec, CONTROL_PLANE, now, MessageType.TASK_FAILED)
        spec.put("state", State.QUEUED.value)
        if expired:
            spec.add("attempt", 1)
        return self._write("requeue", key, spec, CONTROL_PLANE, now, MessageType.TASK_AVAILABLE)

    def cancel(self, key: str, reason: str, actor: str = CONTROL_PLANE) -> Task:
        now = self._now()
        spec = UpdateSpec.for_rule(RULES["cancel"])
        spec.put("reason", reason)
        spec.clear_lease()
        return self._write("cancel", key, spec, actor, now)

    # ----- machinery --------------------------------------------------------

    def _now(self) -> float:
        return round(self._clock(), 3)

    def _write(
        self,
        transition: str,
        key: str,
        spec: UpdateSpec,
        actor: str,
        now: float,
        message: MessageType | _RuleMessage | None = _RuleMessage.RULE,
    ) -> Task:
        spec.stamp(now)
        try:
            reply = self._db.update_item(
                TableName=self._settings.tasks_table,
                Key={"key": {"S": key}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **spec.expression(),
            )
        except ClientError as exc:
            raise _refusal(exc, key, transition, actor, spec, now) from None
        task = Task.from_raw_data(reply["Attributes"])
        if message is _RuleMessage.RULE:
            message = MessageType(RULES[transition].message)
        if message is not None:
            self._emit(transition, task, actor, message)
        return task

    def _emit(self, transition: str, task: Task, actor: str, message: MessageType) -> None:
        data = snapshot(task)
        if message is MessageType.TASK_PROGRESS:
            data = {
                "state": task.state,
                "stage": transition,
                "attempt": int(task.attempt),
                "lease_owner": task.lease_owner,
            }
        if self._publisher is not None:
            self._publisher.publish(Envelope(type=message, sender=actor, task=task.key, data=data))
        for listener in self._listeners:
            listener(transition, task, actor)


def _refused_item(exc: ClientError) -> dict[str, Any]:
    """The item as the refused write found it; re-raise anything but a failed condition."""
    if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        raise exc
    found: Any = exc.response.get("Item")
    return dict(found) if found else {}


def _refusal(
    exc: ClientError, key: str, transition: str, actor: str, spec: UpdateSpec, now: float
) -> TransitionError:
    """Turn a failed condition into the typed error that explains it."""
    item = _refused_item(exc)
    if not item:
        return TaskNotFoundError(key, transition, None, None, "no such task")
    state = item["state"]["S"]
    owner = item.get("lease_owner", {}).get("S")
    expires_at = float(item.get("lease_expires_at", {}).get("N", "0"))
    version = int(item["version"]["N"])

    def refused(kind: type[TransitionError], reason: str) -> TransitionError:
        return kind(
            key, transition, state, owner, reason,
            version=version,
            attempt=int(item.get("attempt", {}).get("N", "1")),
            lease_expires_at=expires_at,
        )  # fmt: skip

    if spec.owner is not None and state in LEASED and owner != actor:
        return refused(LeaseLostError, f"{actor} does not hold the lease")
    if spec.owner is not None and state in LEASED and expires_at < now:
        return refused(LeaseLostError, f"the lease of {actor} expired")
    if spec.expected_version is not None and version != spec.expected_version:
        return refused(TransitionError, "the task changed concurrently")
    if state not in {s.value for s in spec.sources}:
        return refused(TransitionError, f"not allowed from {state}")
    return refused(TransitionError, "condition failed")
