"""What a peer says about a plan or a help request, and what the author makes of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["approve", "concerns"]


@dataclass(frozen=True)
class Feedback:
    verdict: Verdict | None  # None: an answer to a help request
    text: str
    sender: str = ""
    round: int = 1

    @property
    def concerns(self) -> bool:
        return self.verdict == "concerns"


@dataclass
class Discussion:
    """The author's record of its plan review: the final plan and every round's feedback."""

    task: str
    plan: str = ""
    rounds: int = 0
    feedback: list[Feedback] = field(default_factory=list)
    peers: int = 0

    @property
    def approved(self) -> bool:
        latest = [f for f in self.feedback if f.round == self.rounds]
        return bool(latest) and not any(f.concerns for f in latest)

    def context(self) -> list[str]:
        """Extra context for the agent's prompt: the plan and what the peers said about it."""
        if not self.plan:
            return []
        parts = [f"Your plan for this task (round {self.rounds}):\n{self.plan.strip()}"]
        for item in self.feedback:
            kind = "concerns" if item.concerns else "approves"
            parts.append(
                f"Peer review from {item.sender} (round {item.round}, {kind}):\n"
                f"{item.text.strip()}\nTake this review into account."
            )
        return parts
