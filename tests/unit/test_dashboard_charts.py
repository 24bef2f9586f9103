"""bzzz.dashboard.charts: states over time and label-to-claim/PR times from task views."""

from __future__ import annotations

import pytest

from bzzz.dashboard.charts import BUCKETS, WINDOWS, charts, epoch
from bzzz.hive.views import rfc3339, rfc3339_ms

NOW = 1_800_000_000.0


def view(*history: tuple[float, str], summoned: float | None = None) -> dict[str, object]:
    task: dict[str, object] = {
        "history": [{"at": rfc3339_ms(NOW + at), "state": s} for at, s in history]
    }
    if summoned is not None:
        task["summoned_at"] = rfc3339(NOW + summoned)
    return task


def test_times_with_and_without_milliseconds_are_read():
    assert epoch(rfc3339_ms(NOW + 0.25)) == NOW + 0.25
    assert epoch(rfc3339(NOW)) == NOW


def test_the_window_is_the_smallest_that_covers_the_oldest_history():
    assert charts([view((-60, "queued"))], NOW).window_seconds == WINDOWS[0]
    assert charts([view((-2 * 3600, "queued"))], NOW).window_seconds == 3 * 3600
    # Older than every window: the largest, and what came before it is left out.
    assert charts([view((-48 * 3600, "queued"))], NOW).window_seconds == WINDOWS[-1]
    assert charts([], NOW).window_seconds == WINDOWS[0]


def test_a_task_counts_in_every_interval_of_each_state_it_was_in():
    step = WINDOWS[0] / BUCKETS  # 37.5 s
    start = -WINDOWS[0]
    # Queued in interval 0, claimed and running within interval 1, completed from 2 on.
    task = view((start + 1, "queued"), (start + step + 1, "claimed"),
                (start + step + 2, "running"), (start + 2 * step + 1, "completed"))  # fmt: skip
    result = charts([task], NOW)
    assert result.activity["queued"][:3] == [1, 1, 0]
    assert result.activity["claimed"][:3] == [0, 1, 0]
    assert result.activity["running"][:3] == [0, 1, 1]
    assert result.activity["completed"] == [0, 0] + [1] * (BUCKETS - 2)
    assert sum(result.activity["failed"]) == 0
    assert result.peak == 1 and result.uncharted == 0


def test_label_times_use_githubs_event_time_else_the_first_entry():
    labelled = view((-100, "queued"), (-90, "claimed"), (-40, "completed"), summoned=-103)
    polled = view((-50, "queued"), (-45, "claimed"))  # no event: its creation
    claim, pull = charts([labelled, polled], NOW).latencies
    assert sorted(claim.seconds) == [5.0, 13.0] and pull.seconds == [63.0]
    assert claim.percentile(50) == 5.0 and claim.percentile(90) == 13.0
    assert claim.percentile(100) == 13.0 and pull.percentile(50) == 63.0
    assert claim.histogram[:2] == [1, 1] and pull.histogram[3] == 1  # 1-5 min


def test_tasks_labelled_before_the_window_and_tasks_without_history():
    old = view((-7 * 3600, "queued"), (-7 * 3600 + 5, "claimed"), (-3600, "completed"))
    bare: dict[str, object] = {"history": []}
    result = charts([old, bare], NOW)
    claim, pull = result.latencies
    assert claim.count == 0 and pull.count == 0 and claim.percentile(50) is None
    assert result.uncharted == 1
    # Still running before the window, then completed within it: both show.
    assert result.activity["claimed"][0] == 1 and result.activity["completed"][-1] == 1


@pytest.mark.parametrize(
    ("seconds", "index"), [(0, 0), (9.9, 0), (10, 1), (59, 2), (3599, 5), (3600, 6)]
)
def test_histogram_bins(seconds, index):
    claim, _ = charts([view((-seconds - 1, "queued"), (-1, "claimed"))], NOW).latencies
    assert claim.histogram.index(1) == index
