"""The status comment's text (bzzz.status.render): what a reader is told, and what not."""

from __future__ import annotations

from bzzz.status.render import StatusView, render

PROGRESS = {"stage": "agent", "iteration": 4, "command": "pytest -q", "exit_code": 1,
            "sent_at": "2026-12-03T11:58:07.123456+00:00"}  # fmt: skip


def test_a_working_agent_shows_when_it_last_reported_and_how_long_a_silent_one_lasts():
    view = StatusView("acme/calc#1", "running", 1, 3, 7, agent="runner-a", lease_seconds=300)
    body = render(view, PROGRESS)
    assert "| Progress | agent · step 4 · last command `pytest -q` · exit code 1 · " in body
    assert "as of 11:58:07 UTC |" in body
    assert "its claim lapses within about 5 minute(s) and the task is queued" in body


def test_a_finished_task_says_nothing_of_leases_or_progress():
    view = StatusView(
        "acme/calc#1", "completed", 2, 3, 9, pr_url="https://github.test/acme/calc/pull/2",
        reason="verified fix: 1 test ...", lease_seconds=300,
    )  # fmt: skip
    body = render(view, PROGRESS)
    assert "lapses" not in body and "as of" not in body and "Progress" not in body
    assert "| Attempt | 2 of 3 |" in body


def test_the_same_facts_render_the_same_text():
    view = StatusView("acme/calc#1", "claimed", 1, 3, 2, agent="runner-a", lease_seconds=90)
    assert render(view, PROGRESS) == render(view, dict(PROGRESS))
    assert "within about 2 minute(s)" in render(view)


def test_the_thread_says_which_attempt_each_plan_belongs_to():
    from bzzz.threads import Entry, render_details

    plans = [
        Entry(1, 0.0, "runner-a", "hmmm.plan", {"round": 1, "attempt": 1, "text": "1. Fix it."}),
        Entry(2, 9.0, "runner-b", "hmmm.plan", {"round": 1, "attempt": 2, "text": "1. Fix it."}),
        Entry(
            3, 9.5, "runner-c", "hmmm.feedback", {"round": 1, "verdict": "approve", "text": "ok"}
        ),
    ]
    shown = render_details(plans)
    assert "**runner-a — plan (attempt 1, round 1)**" in shown
    assert "**runner-b — plan (attempt 2, round 1)**" in shown
    assert "**runner-c — feedback (round 1, approve)**" in shown
