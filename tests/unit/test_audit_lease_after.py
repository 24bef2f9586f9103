"""The lease rule's one exception: a decision record's digest after the runner's last transition."""

from __future__ import annotations

from bzzz.audit.lease import LeaseReplay
from bzzz.audit.store import Entry


def entry(author: str, type: str, **data: object) -> Entry:
    return Entry("o/r#1", 0, 0, author, type, dict(data), "", "", "")


def replay(entries: list[Entry]) -> list[str | None]:
    lease, refusals = LeaseReplay(), []
    for item in entries:
        refusal = lease.refuse(item)
        refusals.append(refusal)
        if refusal is None:
            lease.advance(item)
    return refusals


CLAIMED = [
    entry("control-plane", "task.create", state="queued", attempt=1),
    entry("r1", "task.claim", state="claimed", attempt=1, lease_owner="r1"),
]


def test_the_runner_that_ended_its_lease_may_record_its_decision() -> None:
    done = entry("r1", "task.complete", state="completed", attempt=1)
    recorded = entry("r1", "decision.recorded", address="bzzz://o/r/1/1")
    assert replay([*CLAIMED, done, recorded, recorded]) == [None] * 5


def test_nobody_else_and_nothing_else_after_the_lease() -> None:
    done = entry("r1", "task.fail", state="failed", attempt=1)
    assert replay([*CLAIMED, done, entry("r2", "decision.recorded")])[-1] is not None
    assert replay([*CLAIMED, done, entry("r1", "command.run")])[-1] is not None


def test_through_the_control_planes_transitions_but_not_past_a_new_claim() -> None:
    done = entry("r1", "task.complete", state="completed", attempt=1)
    cancel = entry("control-plane", "task.cancel", state="cancelled", attempt=1)
    assert replay([*CLAIMED, done, cancel, entry("r1", "decision.recorded")])[-1] is None
    revise = entry("control-plane", "task.revise", state="queued", attempt=1)
    claim = entry("r2", "task.claim", state="claimed", attempt=1, lease_owner="r2")
    late = entry("r1", "decision.recorded")
    assert replay([*CLAIMED, done, revise, claim, late])[-1] is not None
    # A lease the control plane ended (expired) is not the runner's own ending.
    expired = entry("control-plane", "task.expire", state="queued", attempt=2)
    assert replay([*CLAIMED, expired, entry("r1", "decision.recorded")])[-1] is not None
