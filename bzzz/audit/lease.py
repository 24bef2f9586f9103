"""Who may write each entry of a task's stream: the lease, replayed from the stream itself.

A task's `task.*` entries record its lease owner after each transition
(bzzz.audit.listener), so reading a stream in seq order tells who held the
lease at every seq. The rules (`LeaseReplay.refuse`):

- the control plane may write any entry; only it writes the entries of
  CONTROL_PLANE_TYPES (creating, requeueing, cancelling a task; escalations
  and human input);
- a runner's `task.claim` must name the runner itself as lease owner, and
  is accepted while no one holds the lease, or as a takeover of an expired
  lease, which starts a new attempt (its `attempt` is above the holder's);
- every other entry by a runner is accepted only while that runner holds
  the lease; except the entries of AFTER_LEASE_TYPES (a decision record's
  digest, bzzz.decisions), which the runner that ended its own lease with
  its last transition may write after it, until the task is claimed again.

What the stream cannot prove is that a takeover's lease had in fact expired:
heartbeats extend a lease in the tasks table without an audit entry (one per
heartbeat per task would be the price), and expiry is judged by the writers'
clocks. So a registered runner that forges a takeover claim is accepted at
that seq; the forgery shows at the real holder's next entry, refused as not
the lease holder's (docs/audit.md, "Trust model").
"""

from __future__ import annotations

from dataclasses import dataclass

from bzzz.audit.store import Entry

CONTROL_PLANE = "control-plane"
CONTROL_PLANE_TYPES = frozenset(
    {
        "task.create",
        "task.create_missed",
        "task.requeue",
        "task.cancel",
        "escalation.sent",
        "human.input",
    }
)

# Written by the runner once its attempt has made its last transition (the record binds it).
AFTER_LEASE_TYPES = frozenset({"decision.recorded"})


@dataclass
class LeaseReplay:
    """The lease as the entries so far record it; feed entries in seq order."""

    holder: str | None = None
    attempt: int = 0
    ended_by: str | None = None  # the runner whose own transition ended the lease last

    def refuse(self, entry: Entry) -> str | None:
        """Why `entry`'s author may not write it at this point, or None."""
        if entry.author == CONTROL_PLANE:
            return None
        if entry.type in CONTROL_PLANE_TYPES:
            return f"only the control plane writes {entry.type}, not {entry.author!r}"
        if entry.type == "task.claim":
            named = entry.data.get("lease_owner")
            if named != entry.author:
                return f"a claim by {entry.author!r} names {named!r} as the lease owner"
            if self.holder is None or self._attempt_of(entry) > self.attempt:
                return None
            return (
                f"{entry.author!r} claimed a lease {self.holder!r} holds "
                f"(attempt {self._attempt_of(entry)}, not a new one)"
            )
        if entry.type in AFTER_LEASE_TYPES and entry.author == self.ended_by:
            return None
        if entry.author != self.holder:
            held = f"{self.holder!r} held it" if self.holder else "no one held it"
            return f"{entry.author!r} did not hold the lease at this seq ({held})"
        return None

    def advance(self, entry: Entry) -> None:
        """Record the lease as `entry` (already accepted) leaves it."""
        if entry.type.startswith("task."):
            owner = entry.data.get("lease_owner")
            ended = self.holder is not None and entry.author == self.holder
            self.holder = owner if isinstance(owner, str) and owner else None
            # Kept through the control plane's transitions (a merge's cancel may come
            # between the runner's last transition and its record), until a new claim.
            if self.holder is not None:
                self.ended_by = None
            elif ended:
                self.ended_by = entry.author
            self.attempt = self._attempt_of(entry)

    @staticmethod
    def _attempt_of(entry: Entry) -> int:
        attempt = entry.data.get("attempt")
        return attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 0
