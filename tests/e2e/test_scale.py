"""The reduced scale run (bench/scale.py): nothing lost, nothing done twice, DLQ explained.

40 tasks through the real webhook path and the reconcile poll, 4 real runners in
two processes (bench.scale_hosts), the stand-in work of bench.scale_work. One
runner process (2 runners) is killed with SIGKILL mid-task and restarted; so is the
control plane's process; the model endpoint cuts its answers off for a while; GitHub
fails every comment write for a while, so the status consumer fails its messages
into the status DLQ, and `redrive` brings them back. What the bench prints as
figures is not asserted here: only what must hold.
"""

from __future__ import annotations

import pytest

from bench.scale import Config, run, show

EXPLAINED_PREFIXES = ("invalid: ", "its consumer failed it ")


# The run has its own bound (Config.timeout); on a loaded host it outlasts the default 300 s.
@pytest.mark.timeout(900)
def test_forty_tasks_under_a_runner_kill_and_a_dlq_fill_end_exactly_once():
    cfg = Config(
        tasks=40, runners=4, runner_processes=2, delay=0.3, steps=1, rate=20.0,
        label_threads=2, webhook_senders=2, lease_seconds=20, reconcile_every=2.0,
        status_consumers=2, faults="kill,cp,model,dlq", kill_fraction=0.5, dlq_seconds=90.0,
        dlq_target=3, fault_span=20.0, cp_down_seconds=3.0, model_drop_seconds=4.0,
        poll_only=0.1, timeout=600.0,
    )  # fmt: skip
    lines: list[str] = []
    report = run(cfg, say=lines.append)
    show(report, say=lines.append)
    out = "\n".join(lines)  # the bench's own account, shown with any failure

    assert report["lost"] == [], out
    assert sum(report["states"].values()) == 40, out
    assert set(report["states"]) <= {"completed", "failed"}, out
    assert report["double_claims"] == 0, out
    assert report["double_prs"] == 0, out
    assert report["completed_without_one_pr"] == [], out
    assert report["completed_exactly_once"] == report["states"].get("completed", 0) > 0, out
    # The kill hit runners holding tasks: their leases expired, the tasks were requeued,
    # and every one of them ended.
    assert report["killed_holding"], out
    assert report["requeued_by_expiry"] >= 1, out
    assert set(report["killed_tasks_end"].values()) <= {"completed", "failed"}, out
    # The comment outage filled the status DLQ, each message with its reason; the
    # redrive emptied it, and the status queue drained.
    assert report["dlq_after_faults"]["status"] >= 1, out
    for reasons in report["dlq_explained"].values():
        for reason in reasons:
            assert reason.split(": ", 1)[1].startswith(EXPLAINED_PREFIXES), out
    assert report["redriven"] >= report["dlq_after_faults"]["status"], out
    assert report["dlq_at_end"] == {"work": 0, "status": 0, "escalation": 0}, out
    assert report["status_queue_empty"], out
    # Poll-only issues (labelled without a webhook) became tasks through the reconcile poll;
    # so did those whose webhook found the control plane killed (no answer: None).
    assert report["deliveries"] < 40, out
    assert report["control_plane_kills"] == 1, out
