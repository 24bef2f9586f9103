"""The reduced scale run (bench/scale.py): nothing lost, nothing done twice, DLQ explained.

40 tasks through the real webhook path and the reconcile poll, 4 real runners in
two processes (bench.scale_hosts), the stand-in work of bench.scale_work. One
runner process (2 runners) is killed with SIGKILL mid-task and restarted; GitHub
fails every comment write for a while, so the status consumer fails its messages
into the status DLQ, and `redrive` brings them back. What the bench prints as
figures is not asserted here: only what must hold.
"""

from __future__ import annotations

from bench.scale import Config, run

EXPLAINED_PREFIXES = ("invalid: ", "its consumer failed it ")


def test_forty_tasks_under_a_runner_kill_and_a_dlq_fill_end_exactly_once():
    cfg = Config(
        tasks=40, runners=4, runner_processes=2, delay=0.3, steps=1, rate=20.0,
        label_threads=2, webhook_senders=2, lease_seconds=20, reconcile_every=2.0,
        status_consumers=2, faults="kill,dlq", kill_fraction=0.5, dlq_seconds=8.0,
        poll_only=0.1, timeout=600.0,
    )  # fmt: skip
    lines: list[str] = []
    report = run(cfg, say=lines.append)

    assert report["lost"] == [], "\n".join(lines)
    assert sum(report["states"].values()) == 40
    assert set(report["states"]) <= {"completed", "failed"}
    assert report["double_claims"] == 0
    assert report["double_prs"] == 0
    assert report["completed_without_one_pr"] == []
    assert report["completed_exactly_once"] == report["states"].get("completed", 0) > 0
    # The kill hit runners mid-task: their leases expired and others finished the work.
    assert report["requeued_by_expiry"] >= 1
    # The comment outage filled the status DLQ, each message with its reason; the
    # redrive emptied it, and the status queue drained.
    assert report["dlq_after_faults"]["status"] >= 1
    for reasons in report["dlq_explained"].values():
        assert all(reason.split(": ", 1)[1].startswith(EXPLAINED_PREFIXES) for reason in reasons)
    assert report["redriven"] >= report["dlq_after_faults"]["status"]
    assert report["dlq_at_end"] == {"work": 0, "status": 0, "escalation": 0}
    assert report["status_queue_empty"]
    # Poll-only issues (labelled without a webhook) became tasks through the reconcile poll.
    assert report["deliveries"] < 40
