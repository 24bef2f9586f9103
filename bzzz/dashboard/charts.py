"""The task list's charts, from the tasks' own history (no read beyond the listing).

Every state-changing write appends `[when, state]` to its task's `history`
(bzzz.tasks.writes), so the one Scan that lists the tasks also holds everything
these need:

- `activity`: per state, how many tasks were in it at some moment of each of 24
  equal intervals over the last window (15 minutes to 6 hours, the smallest that
  covers the oldest history shown). "At some moment" rather than "at the end" so that a
  task claimed and started within one interval still shows as claimed there; a task
  is therefore counted in more than one state of the same interval when it moved.
- `latency`: from the labelling (GitHub's time of the event, else the task's
  creation) to the first claim and to the first pull request (the first `completed`:
  a task completes by opening one), for tasks labelled within the window:
  how many, p50, p90 and the slowest, and a histogram over fixed bins.

Tasks written before the history was kept have none and are counted as `uncharted`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bzzz.tasks.states import State

STATES = [s.value for s in State]
BUCKETS = 24
WINDOWS = (15 * 60, 60 * 60, 3 * 3600, 6 * 3600)  # seconds; the smallest that covers the data
# The histogram's bins (upper bounds, seconds) and how each is written.
BINS: tuple[tuple[float, str], ...] = (
    (10, "under 10 s"), (30, "10–30 s"), (60, "30 s–1 min"), (300, "1–5 min"),
    (900, "5–15 min"), (3600, "15–60 min"), (math.inf, "over 1 h"),
)  # fmt: skip


@dataclass
class Latency:
    """One span (label→claim or label→PR) over the window's tasks."""

    key: str  # `claim` or `pull_request`
    name: str
    seconds: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.seconds)

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile; None with no sample."""
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def histogram(self) -> list[int]:
        counts = [0] * len(BINS)
        for value in self.seconds:
            counts[next(i for i, (upper, _) in enumerate(BINS) if value < upper)] += 1
        return counts


@dataclass
class Charts:
    window_seconds: int
    starts: list[float]  # each interval's start, epoch seconds
    activity: dict[str, list[int]]  # state -> count per interval
    latencies: list[Latency]
    uncharted: int  # tasks without a history

    @property
    def peak(self) -> int:
        return max([1, *(max(row) for row in self.activity.values())])

    def interval_label(self, index: int) -> str:
        start = datetime.fromtimestamp(self.starts[index], UTC)
        end = datetime.fromtimestamp(self.starts[index] + self.step, UTC)
        return f"{start:%H:%M:%S}–{end:%H:%M:%S} UTC"

    @property
    def step(self) -> float:
        return self.window_seconds / BUCKETS

    @property
    def bins(self) -> list[str]:
        return [label for _, label in BINS]


def epoch(rfc3339: str) -> float:
    """Seconds of an RFC 3339 UTC time as the API writes it (with or without milliseconds).

    `fromisoformat` (C, and it reads the `Z`), not `strptime`: a poll of the task list reads
    every history entry of every task listed, a few thousand times."""
    return datetime.fromisoformat(rfc3339).timestamp()


def _history(task: Mapping[str, Any]) -> list[tuple[float, str]]:
    return [(epoch(h["at"]), str(h["state"])) for h in task.get("history") or ()]


def charts(tasks: Iterable[Mapping[str, Any]], now: float) -> Charts:
    """The charts of `tasks` (views as `/api/tasks` gives them) as of `now`."""
    histories: list[tuple[Mapping[str, Any], list[tuple[float, str]]]] = []
    uncharted = 0
    for task in tasks:
        history = _history(task)
        if history:
            histories.append((task, history))
        else:
            uncharted += 1
    oldest = min((h[0][0] for _, h in histories), default=now)
    window = next((w for w in WINDOWS if now - oldest <= w), WINDOWS[-1])
    step = window / BUCKETS
    start = now - window
    activity = {s: [0] * BUCKETS for s in STATES}
    claim = Latency("claim", "label → claim")
    pull = Latency("pull_request", "label → pull request")
    for task, history in histories:
        _count(activity, history, start, step, now)
        labelled = epoch(task["summoned_at"]) if task.get("summoned_at") else history[0][0]
        if labelled < start:
            continue
        if (claimed := _first(history, "claimed")) is not None:
            claim.seconds.append(max(0.0, claimed - labelled))
        if (completed := _first(history, "completed")) is not None:
            pull.seconds.append(max(0.0, completed - labelled))
    return Charts(
        window_seconds=window,
        starts=[start + i * step for i in range(BUCKETS)],
        activity=activity,
        latencies=[claim, pull],
        uncharted=uncharted,
    )


def _count(
    activity: dict[str, list[int]],
    history: Sequence[tuple[float, str]],
    start: float,
    step: float,
    now: float,
) -> None:
    """Add one task's stay in each state to every interval it overlaps."""
    for i, (entered, state) in enumerate(history):
        left = history[i + 1][0] if i + 1 < len(history) else now
        if left < start or state not in activity:
            continue
        first = max(0, int((entered - start) // step))
        last = min(BUCKETS - 1, int((left - start) // step))
        for index in range(first, last + 1):
            activity[state][index] += 1


def _first(history: Sequence[tuple[float, str]], state: str) -> float | None:
    return next((at for at, s in history if s == state), None)
