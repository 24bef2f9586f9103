"""A rule of `bzzz.tasks.rules`, rendered as its one conditional UpdateItem, and refusals explained.

`render(rule, call, fields)` builds the request: the condition (source states,
guards) and the changes (state, lease, attempt, the call's fields, and on every
write `updated_at` and `version + 1`). Every name goes through a placeholder,
since `key`, `state` and `number` are DynamoDB reserved words. A create is an
UpdateItem too (it makes the item when absent) and removes whatever a finished
task of the same key left, so a new task starts clean.

`explain(rule, call, key, item)` turns a refused write's old item
(`ReturnValuesOnConditionCheckFailure=ALL_OLD`) into the typed error that names
the failed condition, without a second, racy read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bzzz.errors import LeaseLostError, TaskNotFoundError, TransitionError
from bzzz.store.models import Task
from bzzz.tasks.rules import ActorKind, Attempt, Guard, Lease, Rule

Value = str | int | float


@dataclass(frozen=True)
class Call:
    """One application of a rule: by whom, when, and the limits its guards compare with."""

    actor: str
    now: float
    lease_seconds: int
    max_attempts: int
    stale_before: float = 0.0
    event_at: float | None = None  # when the event that asks for it happened (Guard.EVENT_NEWER)
    quiet_before: float = 0.0  # feedback last added before this is due (bzzz.review)
    max_rounds: int = 0
    delivery: str = ""  # the event's delivery id (a redelivery has the same one)


_GUARDS: dict[Guard, str] = {
    Guard.LEASE_HELD: "#lease_owner = :actor AND #lease_expires_at >= :now",
    Guard.LEASE_EXPIRED: "#lease_expires_at < :now",
    Guard.ATTEMPTS_LEFT: "#attempt < :max_attempts",
    Guard.ATTEMPTS_SPENT: "#attempt >= :max_attempts",
    Guard.STALE: "#updated_at < :stale_before",
    # Against the event that summoned the finished task (both times GitHub's, so no skew
    # between clocks); a task made without an event time (the poll) is judged by its birth.
    # GitHub's times have whole seconds: an event of the same second is newer unless it
    # is the very delivery that summoned the task (a redelivery has the same delivery id).
    Guard.EVENT_NEWER: "(attribute_exists(#summoned_at) AND (#summoned_at < :event_at OR "
    "(#summoned_at = :event_at AND attribute_exists(#summoned_by) AND "
    "NOT #summoned_by = :delivery))) OR "
    "(attribute_not_exists(#summoned_at) AND #created_at < :event_at)",
    Guard.PR_OPEN: "attribute_exists(#pr_url) AND attribute_not_exists(#pr_closed)",
    Guard.FEEDBACK_DUE: "#feedback_last_at < :quiet_before",
    # A task from before rounds has no `round`: it is in its first (round 0).
    Guard.ROUNDS_LEFT: "attribute_not_exists(#round) OR #round < :max_rounds",
}


def _encode(value: Value) -> dict[str, str]:
    return {"S": value} if isinstance(value, str) else {"N": str(value)}


def _changes(
    rule: Rule, call: Call, fields: Mapping[str, Value | None], *, removes: bool = True
) -> tuple[dict[str, Value], set[str], dict[str, int]]:
    sets: dict[str, Value] = {k: v for k, v in fields.items() if v is not None}
    removed: set[str] = set()
    adds = {"version": 1}
    if rule.target is not None:
        sets["state"] = rule.target.value
    if rule.lease is Lease.TAKE:
        sets["lease_owner"] = call.actor
        # Why the last holder stopped ("lease expired", "runner shutting down") is not this
        # holder's story: the status comment would still show it, even under a final ✅.
        removed.add("reason")
    if rule.lease in (Lease.TAKE, Lease.RENEW):
        sets["lease_expires_at"] = call.now + call.lease_seconds
    elif rule.lease is Lease.END:
        sets["lease_expires_at"] = 0
        removed.add("lease_owner")
    if rule.attempt is Attempt.NEXT:
        adds["attempt"] = 1
    elif rule.attempt is Attempt.FIRST:
        sets["attempt"] = 1
    if rule.next_round:
        adds["round"] = 1
    removed |= set(rule.clears)
    sets["updated_at"] = call.now
    if rule.from_absent and removes:  # a fresh task: nothing of an earlier one survives
        removed |= set(Task.get_attributes()) - set(sets) - {"key", "version"}
    return sets, removed - set(sets), adds


@dataclass(frozen=True)
class _Shape:
    """What a rule's request is made of apart from the call's values: the same for every
    call of the rule with the same fields, so it is built once (a claim under contention
    is mostly refused; building the strings again for every try was most of our cost)."""

    update: str
    condition: str
    names: dict[str, str]
    values: dict[str, Any]  # the sources, the ADD amounts, the empty history: never change
    guards: tuple[str, ...]  # the guard placeholders the condition uses


def _guard_values(call: Call) -> dict[str, Value]:
    """Every value a guard may compare with, by placeholder (one place for both renderers)."""
    return {
        ":actor": call.actor,
        ":now": call.now,
        ":max_attempts": call.max_attempts,
        ":stale_before": call.stale_before,
        ":event_at": call.event_at or 0.0,
        ":delivery": call.delivery,
        ":quiet_before": call.quiet_before,
        ":max_rounds": call.max_rounds,
    }


_GUARD_PLACEHOLDERS = tuple(_guard_values(Call("", 0.0, 0, 0)))


@functools.lru_cache(maxsize=512)
def _shape(rule: Rule, fields: tuple[str, ...], with_event: bool) -> _Shape:
    # Any values will do: only the shape is kept; render fills in the call's.
    call = Call("", 0.0, 0, 0, 0.0, 0.0 if with_event else None)
    request = _render(rule, call, dict.fromkeys(fields, ""))
    values = request["ExpressionAttributeValues"]
    condition = request["ConditionExpression"]
    static = {k: v for k, v in values.items() if k.startswith((":src", ":add_", ":no_history"))}
    guards = tuple(p for p in _GUARD_PLACEHOLDERS if p in values)
    return _Shape(request["UpdateExpression"], condition, request["ExpressionAttributeNames"],
                  static, guards)  # fmt: skip


def render(rule: Rule, call: Call, fields: Mapping[str, Value | None]) -> dict[str, Any]:
    """The UpdateItem arguments (without table and key) of `rule` applied by `call`."""
    present = tuple(name for name, value in fields.items() if value is not None)
    shape = _shape(rule, present, call.event_at is not None)
    guard_values = _guard_values(call)
    values = dict(shape.values)
    for placeholder in shape.guards:
        values[placeholder] = _encode(guard_values[placeholder])
    sets, _, _ = _changes(rule, call, fields, removes=False)
    for attribute, value in sets.items():
        values[f":set_{attribute}"] = _encode(value)
    if rule.target is not None:
        values[":history"] = _history_entry(call.now, rule.target.value)
    return {
        "UpdateExpression": shape.update,
        "ConditionExpression": shape.condition,
        "ExpressionAttributeNames": dict(shape.names),
        "ExpressionAttributeValues": values,
    }


def _render(rule: Rule, call: Call, fields: Mapping[str, Value | None]) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def name(attribute: str) -> str:
        names[f"#{attribute}"] = attribute
        return f"#{attribute}"

    sources = [f":src{i}" for i in range(len(rule.sources))]
    for placeholder, state in zip(sources, sorted(rule.sources), strict=True):
        values[placeholder] = _encode(state.value)
    # The hot path (claim) has one source: equality is cheaper to evaluate than IN.
    in_state = (
        f"#state = {sources[0]}" if len(sources) == 1 else f"#state IN ({', '.join(sources)})"
    )
    if not sources:  # from no state: only where no task exists (from_absent)
        in_state = "attribute_not_exists(#key)"
    conditions = [in_state]
    # Without an event time (the poll, the CLI, tests) there is nothing to be older than.
    guards = [g for g in rule.guards if g is not Guard.EVENT_NEWER or call.event_at is not None]
    conditions += [_GUARDS[guard] for guard in guards]
    guard_values = _guard_values(call)
    # DynamoDB refuses redundant parentheses: wrap only when there is something to join.
    condition = " AND ".join(f"({c})" for c in conditions) if len(conditions) > 1 else in_state
    if rule.from_absent and sources:  # the guards judge an existing item; an absent one is made
        condition = f"attribute_not_exists(#key) OR ({condition})"
    for placeholder, value in guard_values.items():
        if placeholder in condition:
            values[placeholder] = _encode(value)
    tokens = ("key", "state", "lease_owner", "lease_expires_at", "attempt", "updated_at",
              "created_at", "summoned_at", "summoned_by", "pr_url", "pr_closed", "feedback_last_at",
              "round")  # fmt: skip
    for token in tokens:
        if f"#{token}" in condition:
            name(token)

    sets, removes, adds = _changes(rule, call, fields)
    assignments = [f"{name(a)} = :set_{a}" for a in sets]
    values.update({f":set_{a}": _encode(v) for a, v in sets.items()})
    if rule.target is not None:
        history = name("history")
        if rule.from_absent:  # a fresh task's history starts with it (a finished one's goes)
            assignments.append(f"{history} = :history")
        else:
            assignments.append(
                f"{history} = list_append(if_not_exists({history}, :no_history), :history)"
            )
            values[":no_history"] = {"L": []}
        values[":history"] = _history_entry(call.now, rule.target.value)
        removes.discard("history")
    clauses = ["SET " + ", ".join(assignments)]
    clauses.append("ADD " + ", ".join(f"{name(a)} :add_{a}" for a in adds))
    values.update({f":add_{a}": _encode(v) for a, v in adds.items()})
    if removes:
        clauses.append("REMOVE " + ", ".join(name(a) for a in sorted(removes)))
    return {
        "UpdateExpression": " ".join(clauses),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def _history_entry(now: float, state: str) -> dict[str, Any]:
    """The one-element list appended to `history`: `[when (epoch seconds), state]`."""
    return {"L": [{"L": [{"N": str(round(now, 3))}, {"S": state}]}]}


def explain(rule: Rule, call: Call, key: str, item: Mapping[str, Any]) -> TransitionError:
    """The typed error of a refused write, from the item as the write found it."""
    if not item:
        return TaskNotFoundError(key, rule.name, None, None, "no such task")
    state = item["state"]["S"]
    owner = item.get("lease_owner", {}).get("S")
    expires_at = float(item.get("lease_expires_at", {}).get("N", "0"))
    attempt = int(item.get("attempt", {}).get("N", "1"))

    def refused(kind: type[TransitionError], reason: str) -> TransitionError:
        return kind(key, rule.name, state, owner, reason, version=int(item["version"]["N"]),
                    attempt=attempt, lease_expires_at=expires_at)  # fmt: skip

    if state not in {s.value for s in rule.sources}:
        return refused(TransitionError, f"not allowed from {state}")
    if ActorKind.OWNER in rule.actors and owner != call.actor:
        return refused(LeaseLostError, f"{call.actor} does not hold the lease")
    if ActorKind.OWNER in rule.actors and expires_at < call.now:
        return refused(LeaseLostError, f"the lease of {call.actor} expired")
    if Guard.LEASE_EXPIRED in rule.guards and expires_at >= call.now:
        return refused(TransitionError, "lease still held")
    if Guard.ATTEMPTS_LEFT in rule.guards and attempt >= call.max_attempts:
        return refused(TransitionError, f"no attempts left ({attempt} of {call.max_attempts})")
    if Guard.ATTEMPTS_SPENT in rule.guards and attempt < call.max_attempts:
        return refused(TransitionError, f"attempts left ({attempt} of {call.max_attempts})")
    if Guard.STALE in rule.guards:
        return refused(TransitionError, "changed or announced recently")
    if Guard.EVENT_NEWER in rule.guards:
        born = item.get("summoned_at") or item.get("created_at") or {"N": "0"}
        if call.event_at is not None and float(born["N"]) >= call.event_at:
            return refused(TransitionError, f"the event is older than this {state} task")
    if Guard.PR_OPEN in rule.guards and ("pr_url" not in item or "pr_closed" in item):
        return refused(TransitionError, "no open pull request")
    if Guard.FEEDBACK_DUE in rule.guards:
        last = item.get("feedback_last_at", {}).get("N")
        if last is None or float(last) >= call.quiet_before:
            return refused(TransitionError, "no feedback due (none, or not quiet yet)")
    if Guard.ROUNDS_LEFT in rule.guards:
        done = int(item.get("round", {}).get("N", "0"))
        if done >= call.max_rounds:
            return refused(TransitionError, f"no review rounds left ({done} of {call.max_rounds})")
    return refused(TransitionError, "the task changed concurrently")


def snapshot(task: Task) -> dict[str, Any]:
    """The task as the `task-snapshot.json` payload of its messages."""
    data: dict[str, Any] = {
        "state": task.state,
        "repo": task.repo,
        "number": int(task.number),
        "title": task.title,
        "attempt": int(task.attempt),
        "version": int(task.version),
        "lease_owner": task.lease_owner,
        "lease_expires_at": float(task.lease_expires_at),
    }
    for optional in ("reason", "pr_url", "branch"):
        value = getattr(task, optional)
        if value is not None:
            data[optional] = value
    if task.round:
        data["round"] = int(task.round)
    return data
