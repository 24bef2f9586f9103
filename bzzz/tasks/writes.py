"""Builds the one conditional UpdateItem of a transition.

An `UpdateSpec` collects the condition (allowed source states, lease owner and
expiry, expected version) and the changes (SET, ADD, REMOVE); `expression()`
renders them with placeholders for every name, since `key`, `state` and
`number` are DynamoDB reserved words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bzzz.store.models import Task
from bzzz.tasks.states import LEASED, Rule, State


def _encode(value: str | int | float) -> dict[str, str]:
    if isinstance(value, str):
        return {"S": value}
    return {"N": str(value)}


@dataclass
class UpdateSpec:
    sources: frozenset[State] = frozenset()
    owner: str | None = None
    expected_version: int | None = None
    _conditions: list[str] = field(default_factory=list)
    _values: dict[str, dict[str, str]] = field(default_factory=dict)
    _sets: dict[str, str | int | float] = field(default_factory=dict)
    _adds: dict[str, int] = field(default_factory=dict)
    _removes: set[str] = field(default_factory=set)

    # ----- conditions -------------------------------------------------------

    @classmethod
    def for_rule(
        cls, rule: Rule, *, owner: str | None = None, now: float = 0.0, keep_state: bool = False
    ) -> UpdateSpec:
        """The condition of `rule`; an owner's rule also needs an unexpired lease."""
        spec = cls(sources=rule.sources)
        spec._state_in(rule.sources)
        if rule.by_owner:
            if owner is None:
                raise ValueError(f"{rule.name} is made by the lease owner; name the owner")
            spec.owner = owner
            spec._conditions.append("#lease_owner = :owner AND #lease_expires_at >= :now")
            spec._values[":owner"] = _encode(owner)
            spec._values[":now"] = _encode(now)
        if not keep_state:
            spec.put("state", rule.target.value)
        return spec

    @classmethod
    def takeover(cls, version: int, now: float) -> UpdateSpec:
        """Claim a task whose lease expired, provided it has not changed since read."""
        spec = cls.versioned(version, now)
        spec.sources = LEASED
        spec._state_in(LEASED)
        spec._conditions.append("#lease_expires_at < :now")
        spec._values[":now"] = _encode(now)
        spec.put("state", State.CLAIMED.value)
        return spec

    @classmethod
    def versioned(cls, version: int, now: float) -> UpdateSpec:
        spec = cls(expected_version=version, sources=frozenset(State))
        spec._conditions.append("#version = :expected_version")
        spec._values[":expected_version"] = _encode(version)
        return spec

    def _state_in(self, states: frozenset[State]) -> None:
        names = []
        for i, state in enumerate(sorted(states)):
            names.append(f":src{i}")
            self._values[f":src{i}"] = _encode(state.value)
        if len(names) == 1:  # the hot path (claim): equality is cheaper to evaluate than IN
            self._conditions.append(f"#state = {names[0]}")
        else:
            self._conditions.append(f"#state IN ({', '.join(names)})")

    # ----- changes ----------------------------------------------------------

    def put(self, attribute: str, value: str | int | float) -> None:
        self._removes.discard(attribute)
        self._sets[attribute] = value

    def put_optional(self, attribute: str, value: str | None) -> None:
        if value is not None:
            self.put(attribute, value)

    def add(self, attribute: str, amount: int) -> None:
        self._adds[attribute] = self._adds.get(attribute, 0) + amount

    def set_lease(self, agent: str, expires_at: float) -> None:
        self.put("lease_owner", agent)
        self.put("lease_expires_at", expires_at)

    def clear_lease(self) -> None:
        self._sets.pop("lease_owner", None)
        self._removes.add("lease_owner")
        self.put("lease_expires_at", 0)

    def stamp(self, now: float) -> None:
        """Every write moves the version on and records when."""
        self.put("updated_at", now)
        self.add("version", 1)

    def expression(self) -> dict[str, Any]:
        names: dict[str, str] = {}
        values = dict(self._values)

        def name(attribute: str) -> str:
            names[f"#{attribute}"] = attribute
            return f"#{attribute}"

        clauses = []
        sets = [f"{name(a)} = :set_{a}" for a in self._sets]
        values.update({f":set_{a}": _encode(v) for a, v in self._sets.items()})
        if sets:
            clauses.append("SET " + ", ".join(sets))
        adds = [f"{name(a)} :add_{a}" for a in self._adds]
        values.update({f":add_{a}": _encode(v) for a, v in self._adds.items()})
        if adds:
            clauses.append("ADD " + ", ".join(adds))
        if self._removes:
            clauses.append("REMOVE " + ", ".join(name(a) for a in sorted(self._removes)))
        condition = " AND ".join(f"({c})" for c in self._conditions)
        for token in ("state", "lease_owner", "lease_expires_at", "version"):
            if f"#{token}" in condition:
                name(token)
        return {
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }


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
    return data
