"""How a task ends when it does not end well: out of budget, lease stolen, Ollama gone."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    REPO,
    TEST_COMMAND,
    calc_seed,
    remote_branches,
    run_command,
    scenario,
    wait_for_end,
    wait_until,
    write_file,
)

KEY = f"{REPO}#1"
SEED = calc_seed(f"test: {json.dumps(TEST_COMMAND)}\n")
SMALL_BUDGET_SEED = calc_seed(f"test: {json.dumps(TEST_COMMAND)}\nbudgets: {{iterations: 4}}\n")


def _containers_of(docker_client, runner_id: str) -> list[str]:
    found = docker_client.containers.list(all=True, filters={"label": f"bzzz.runner={runner_id}"})
    return [c.name for c in found]


@pytest.mark.github_seed(SMALL_BUDGET_SEED)
def test_a_model_that_never_finishes_fails_the_task_with_the_partial_branch_pushed(
    github, ollama_emulator, start_runner, create_task, aws_settings
):
    from bzzz.tasks.lifecycle import Lifecycle

    # Some work, then a new command every time (no loop): only the budget ends it.
    steps = [write_file("NOTES.md", "sum_to: the loop bound looks off\n")]
    steps += [run_command(f"echo {n}") for n in range(1, 10)]
    ollama_emulator.set_scenario(scenario(steps))
    runner = start_runner()
    create_task()
    lifecycle = Lifecycle(aws_settings)
    task = wait_for_end(lifecycle, KEY, "the task to end")
    assert task.state == "failed"
    assert task.reason.startswith("budget: iteration budget spent")
    assert task.branch == "bzzz/1-sum-to-n-leaves-out-n"
    assert task.branch in remote_branches(github.git_url(REPO))
    assert github.client("alice").rest.pulls.list("acme", "calc").json() == []
    runner.stop()
    assert runner.process.results[KEY] == "failed"


@pytest.mark.github_seed(SEED)
def test_a_model_going_in_circles_asks_for_help(
    github, ollama_emulator, start_runner, create_task, aws_settings
):
    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Lifecycle

    # Some work, then the same command for ever: the loop detector ends it, and a loop
    # is a reason to ask peers and humans (HMMM), with the partial work pushed.
    ollama_emulator.set_scenario(
        scenario([write_file("NOTES.md", "sum_to: the loop bound looks off\n")], run_command("ls"))
    )
    runner = start_runner()
    create_task()
    lifecycle = Lifecycle(aws_settings)
    task = wait_for_end(lifecycle, KEY, "the task to end")
    assert task.state == "escalated"
    assert "going in circles" in task.reason
    assert "bzzz/1-sum-to-n-leaves-out-n" in remote_branches(github.git_url(REPO))
    helps = wait_until(
        lambda: [m.envelope for m in Bus(aws_settings).receive("escalation", wait_seconds=1)],
        "hmmm.help on the escalation queue",
    )
    assert [(str(h.type), h.data["trigger"]) for h in helps] == [("hmmm.help", "loop")]
    runner.stop()
    assert runner.process.results[KEY] == "escalated"


@pytest.mark.github_seed(SEED)
def test_a_stolen_lease_stops_the_task_and_pushes_nothing(
    github, ollama_emulator, runner_env, start_runner, create_task, aws_settings, docker_client
):
    from bzzz import aws
    from bzzz.tasks.lifecycle import Lifecycle

    # The fix lands at once, then slow steps keep the task busy until the lease is gone.
    slow = [run_command(f"echo step {i}", delay=0.5) for i in range(40)]
    ollama_emulator.set_scenario(scenario([write_file("calc.py", FIXED_CALC), *slow]))
    runner = start_runner({**runner_env, "BZZZ_HEARTBEAT_SECONDS": "0.3"})
    create_task()
    lifecycle = Lifecycle(aws_settings)
    wait_until(lambda: len(ollama_emulator.requests("/api/chat")) >= 3, "the agent to be at work")
    assert lifecycle.get(KEY).state == "running"

    # Another runner takes the task over: the row now names it as the lease owner.
    aws.client("dynamodb", aws_settings).update_item(
        TableName=aws_settings.tasks_table,
        Key={"key": {"S": KEY}},
        UpdateExpression="SET lease_owner = :o, lease_expires_at = :e ADD version :one",
        ExpressionAttributeValues={
            ":o": {"S": "runner-thief"},
            ":e": {"N": str(time.time() + 600)},
            ":one": {"N": "1"},
        },
    )
    wait_until(lambda: runner.process.results.get(KEY), "the runner to give the task up")
    assert runner.process.results[KEY] == "abandoned"
    task = lifecycle.get(KEY)
    assert (task.state, task.lease_owner, task.branch) == ("running", "runner-thief", None)
    assert list(remote_branches(github.git_url(REPO))) == ["main"]
    assert github.client("alice").rest.pulls.list("acme", "calc").json() == []
    assert _containers_of(docker_client, runner_env["BZZZ_RUNNER_ID"]) == []
    runner.stop()

    # Thrown away, not lost: the runner's trajectory keeps the steps and the final diff.
    folder = Path(runner_env["BZZZ_STATE_DIR"], "trajectories")
    events = [json.loads(line) for line in next(folder.glob("*.jsonl")).read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "task" and "abandoned" in kinds and "step" in kinds
    diff = next(e["diff"] for e in events if e["event"] == "final_diff")
    assert "+    for i in range(1, n + 1):" in diff


@pytest.mark.github_seed(SEED)
def test_ollama_going_away_releases_and_requeues_the_task(
    github, runner_env, start_runner, create_task, aws_settings, caplog
):
    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Lifecycle
    from infra.ollama_emulator.server import start_in_thread
    from runner.worker.task_worker import MODEL_DID_NOT_ANSWER

    caplog.set_level(logging.INFO)
    slow = [run_command(f"echo step {i}", delay=3) for i in range(5)]
    with start_in_thread(scenario([write_file("calc.py", FIXED_CALC), *slow])) as ollama:
        runner = start_runner({**runner_env, "OLLAMA_HOST": ollama.base_url})
        create_task()
        wait_until(
            lambda: [r for r in ollama.requests() if r["path"] == "/api/chat"],
            "the agent's first model call",
        )
    # The stand-in is gone, in the middle of the agent's next model call.
    lifecycle = Lifecycle(aws_settings)
    wait_until(lambda: runner.process.results.get(KEY), "the runner to give the task back")
    assert runner.process.results[KEY] == "released"
    task = lifecycle.get(KEY)
    assert (task.state, task.lease_owner, int(task.attempt)) == ("queued", None, 1)
    # The issue hears of a runner problem; the log has the error.
    assert task.reason == MODEL_DID_NOT_ANSWER
    released = [
        r.getMessage() for r in caplog.records if "requeued for another runner" in r.message
    ]
    assert len(released) == 1 and "Ollama unavailable: " in released[0], released
    assert list(remote_branches(github.git_url(REPO))) == ["main"]

    # Requeued: a task.available is back on the work queue, and this runner, whose
    # Ollama is away, leaves it there for another runner.
    bus = Bus(aws_settings)
    offered = wait_until(
        lambda: [m for m in bus.receive("work", wait_seconds=1) if m.envelope.task == KEY],
        "task.available on the work queue",
    )
    assert str(offered[0].envelope.type) == "task.available"
    assert lifecycle.get(KEY).state == "queued"
    runner.stop()


@pytest.mark.github_seed(calc_seed("budgets: {iterations: many}\nbranch_prefix: agents/\n"))
def test_asking_for_help_escalates_with_hmmm_help_and_a_bad_bzzz_yml_field_is_named(
    github, ollama_emulator, start_runner, create_task, aws_settings
):
    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Lifecycle

    question = "Should sum_to(0) be 0 or raise?"
    ollama_emulator.set_scenario(
        scenario(
            [
                write_file("NOTES.md", "sum_to(0): unclear\n"),
                {"tool_calls": [{"name": "ask_for_help", "arguments": {"question": question}}]},
            ]
        )
    )
    runner = start_runner()
    create_task()
    lifecycle = Lifecycle(aws_settings)
    task = wait_for_end(lifecycle, KEY, "the task to leave running")
    assert task.state == "escalated"
    assert question in task.reason
    # The partial work is on a branch under the prefix .bzzz.yml set (its good field applies).
    assert "agents/1-sum-to-n-leaves-out-n" in remote_branches(github.git_url(REPO))

    bus = Bus(aws_settings)
    helps = wait_until(
        lambda: [m.envelope for m in bus.receive("escalation", wait_seconds=1)],
        "hmmm.help on the escalation queue",
    )
    assert [(str(h.type), h.task, h.data["text"]) for h in helps] == [("hmmm.help", KEY, question)]

    comments = github.client("alice").rest.issues.list_comments("acme", "calc", 1).json()
    notes = [c["body"] for c in comments if ".bzzz.yml" in c["body"]]
    assert len(notes) == 1 and "`budgets.iterations`: must be a whole number" in notes[0], notes
    runner.stop()
    assert runner.process.results[KEY] == "escalated"


MISSING_IMAGE = "bzzz-missing-image:never"


@pytest.mark.both_engines
@pytest.mark.github_seed(calc_seed(f"test: {json.dumps(TEST_COMMAND)}\nimage: {MISSING_IMAGE}\n"))
def test_a_sandbox_that_cannot_start_releases_the_task_and_says_only_runner_problem(
    github, ollama_emulator, runner_env, start_runner, create_task, control_plane, caplog
):
    from bzzz.messages import Envelope, MessageType
    from bzzz.secrets import SecretStore
    from bzzz.status.sync import build_status_sync
    from bzzz.tasks.lifecycle import Lifecycle
    from bzzz.tasks.writes import snapshot
    from runner.worker.task_worker import SANDBOX_DID_NOT_START

    caplog.set_level(logging.INFO)
    ollama_emulator.set_scenario(scenario([write_file("calc.py", FIXED_CALC)]))
    # The operator allows the repository's image but never pulled it: the real engine
    # refuses to create the container (404 no such image). That is this runner's fault.
    runner = start_runner({**runner_env, "BZZZ_ALLOWED_IMAGES": "bzzz-missing-image:*"})
    create_task()
    wait_until(lambda: runner.process.results.get(KEY), "the runner to give the task back")
    assert runner.process.results[KEY] == "released"
    # Once a probe sandbox starts again, the runner takes work, but leaves this task
    # (requeued by the release) to other runners instead of failing it the same way.
    wait_until(
        lambda: [r for r in caplog.records if "left for another runner" in r.message],
        "the runner to leave the requeued task on the queue",
    )
    lifecycle = Lifecycle(control_plane.settings)
    task = lifecycle.get(KEY)
    runner.stop()
    assert (task.state, task.lease_owner, int(task.attempt)) == ("queued", None, 1)
    assert task.reason == SANDBOX_DID_NOT_START
    assert task.branch is None
    assert list(remote_branches(github.git_url(REPO))) == ["main"]
    claims = [r for r in caplog.records if r.getMessage() == f"{KEY}: claimed (attempt 1)"]
    assert len(claims) == 1

    # The log and the trajectory carry what the engine said; the issue does not.
    logged = [r.getMessage() for r in caplog.records if "requeued for another runner" in r.message]
    assert len(logged) == 1 and MISSING_IMAGE in logged[0], logged
    folder = Path(runner_env["BZZZ_STATE_DIR"], "trajectories")
    events = [json.loads(line) for line in next(folder.glob("*.jsonl")).read_text().splitlines()]
    released = [e for e in events if e["event"] == "released"]
    assert len(released) == 1 and MISSING_IMAGE in released[0]["detail"], released
    # Status sync mirrors the release onto the issue (here with a writer's token).
    secrets = SecretStore(control_plane.settings, {"GITHUB_TOKEN": github.tokens["alice"]})
    sync = build_status_sync(control_plane.settings, secrets)
    sync.handle(Envelope(MessageType.TASK_AVAILABLE, "control-plane", KEY, snapshot(task)))
    comments = github.client("alice").rest.issues.list_comments("acme", "calc", 1).json()
    status = [c["body"] for c in comments if "<!-- bzzz:status -->" in c["body"]]
    assert len(status) == 1, comments
    assert "runner problem: the sandbox could not start" in status[0]
    for internal in (MISSING_IMAGE, "not on the engine", "500", "Server Error", "docker"):
        assert internal not in status[0], status[0]


@pytest.mark.github_seed(SEED)
def test_an_unexpected_error_fails_the_task_without_its_text_on_the_issue(
    github, ollama_emulator, start_runner, create_task, control_plane, monkeypatch, caplog
):
    from bzzz.messages import Envelope, MessageType
    from bzzz.secrets import SecretStore
    from bzzz.status.sync import build_status_sync
    from bzzz.tasks.lifecycle import Lifecycle
    from bzzz.tasks.writes import snapshot
    from runner.worker.task_worker import UNEXPECTED_ERROR, TaskWorker

    # A bug of ours stands in for every fault nobody foresaw; its text is what an exception
    # of a library typically carries: a host path and a URL with a token in it.
    leak = "/srv/bzzz/state/workspaces/acme-calc-1 https://x-access-token:ghs_s3cret@github.com"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(leak)

    monkeypatch.setattr(TaskWorker, "_work", broken)
    caplog.set_level(logging.INFO)
    ollama_emulator.set_scenario(scenario([write_file("calc.py", FIXED_CALC)]))
    runner = start_runner()
    create_task()
    lifecycle = Lifecycle(control_plane.settings)
    task = wait_for_end(lifecycle, KEY, "the task to end")
    runner.stop()
    assert (task.state, task.reason) == ("failed", UNEXPECTED_ERROR)
    assert runner.process.results[KEY] == "failed"
    # The runner's log keeps the error for its operator.
    assert any(
        leak in r.getMessage()
        or (r.exc_text and leak in r.exc_text)
        or (r.exc_info and leak in str(r.exc_info[1]))
        for r in caplog.records
    )

    secrets = SecretStore(control_plane.settings, {"GITHUB_TOKEN": github.tokens["alice"]})
    sync = build_status_sync(control_plane.settings, secrets)
    sync.handle(Envelope(MessageType.TASK_FAILED, "control-plane", KEY, snapshot(task)))
    comments = github.client("alice").rest.issues.list_comments("acme", "calc", 1).json()
    status = [c["body"] for c in comments if "<!-- bzzz:status -->" in c["body"]]
    assert len(status) == 1, comments
    assert UNEXPECTED_ERROR in status[0]
    for internal in ("/srv/bzzz", "ghs_s3cret", "RuntimeError", "Traceback"):
        assert internal not in status[0], status[0]
