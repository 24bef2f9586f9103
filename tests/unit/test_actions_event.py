"""Actions mode's pure parts: the step's environment, the event, the summary and outputs."""

from __future__ import annotations

import json

import pytest

from bzzz.errors import ConfigError, InputError
from runner.actions.environment import read_environment
from runner.actions.event import Dispatched, Ignored, Summons, job_event, read_event
from runner.actions.summary import JobReport, write_report

REPO = "acme/calc"


def _env(tmp_path, **changes):
    env = {
        "GITHUB_EVENT_NAME": "issues", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": "ghs_job", "GITHUB_RUN_ID": "77",
        "RUNNER_TEMP": str(tmp_path),
    }  # fmt: skip
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def test_the_environment_names_the_job_and_its_defaults(tmp_path):
    action = read_environment(_env(tmp_path, GITHUB_RUN_ATTEMPT="2"))
    assert action.runner_id == "actions-acme-calc-77-2"
    assert action.api_url == "https://api.github.com" and action.audience == "sts.amazonaws.com"
    assert action.state_dir == tmp_path / "bzzz"
    assert "ghs_job" not in repr(action)


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"GITHUB_TOKEN": None}, "GITHUB_TOKEN"),
        ({"GITHUB_EVENT_PATH": None}, "GITHUB_EVENT_PATH"),
        ({"GITHUB_REPOSITORY": "acme"}, "GITHUB_REPOSITORY"),
        ({"RUNNER_TEMP": " "}, "RUNNER_TEMP"),
        ({"BZZZ_JOB_TIMEOUT_MINUTES": "two hours"}, "BZZZ_JOB_TIMEOUT_MINUTES"),
        ({"BZZZ_JOB_TIMEOUT_MINUTES": "0"}, "BZZZ_JOB_TIMEOUT_MINUTES"),
    ],
)
def test_a_bad_environment_names_the_variable(tmp_path, change, variable):
    with pytest.raises(ConfigError) as caught:
        read_environment(_env(tmp_path, **change))
    assert caught.value.variable == variable


def _labeled(number=1, action="labeled", repo=REPO):
    return {"action": action, "issue": {"number": number}, "label": {"name": "bzzz-task"},
            "repository": {"full_name": repo}}  # fmt: skip


def test_a_labelling_is_a_summons_for_the_issue():
    event = job_event("issues", _labeled(5), REPO)
    assert isinstance(event, Summons) and event.key == "acme/calc#5"


def test_a_labelling_of_another_repository_is_refused():
    with pytest.raises(InputError) as caught:
        job_event("issues", _labeled(repo="evil/calc"), REPO)
    assert caught.value.field == "repository.full_name"


def test_a_dispatch_names_a_task_of_this_repository_only():
    payload = {"action": "bzzz-task", "client_payload": {"task": "acme/calc#3"}}
    assert job_event("repository_dispatch", payload, REPO) == Dispatched("acme/calc#3")
    other = {"action": "bzzz-task", "client_payload": {"task": "evil/x#1"}}
    with pytest.raises(InputError, match="names evil/x, not this workflow's repository"):
        job_event("repository_dispatch", other, REPO)
    with pytest.raises(InputError) as caught:
        job_event("repository_dispatch", {"action": "bzzz-task", "client_payload": {}}, REPO)
    assert caught.value.field == "client_payload.task"


@pytest.mark.parametrize(
    ("name", "payload", "why"),
    [
        ("issues", _labeled(action="opened"), "issues.opened needs no job"),
        ("repository_dispatch", {"action": "deploy"}, "not bzzz-task"),
        ("push", {}, "push events need no Bzzz job"),
    ],
)
def test_other_events_are_ignored_with_the_reason(name, payload, why):
    event = job_event(name, payload, REPO)
    assert isinstance(event, Ignored) and why in event.reason


@pytest.mark.parametrize("number", [None, "1", True, 0])
def test_a_labelling_without_a_proper_issue_number_is_refused(number):
    with pytest.raises(InputError) as caught:
        job_event("issues", {**_labeled(), "issue": {"number": number}}, REPO)
    assert caught.value.field == "issue.number"


def test_the_event_file_must_be_a_json_object(tmp_path):
    path = tmp_path / "event.json"
    path.write_text("[1]")
    with pytest.raises(InputError, match="JSON object"):
        read_event(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        read_event(path)
    with pytest.raises(InputError, match="cannot be read"):
        read_event(tmp_path / "absent.json")
    path.write_text(json.dumps(_labeled()))
    assert read_event(path)["action"] == "labeled"


def test_the_summary_keeps_hostile_text_inside_code_spans(tmp_path):
    report = JobReport(
        key="acme/calc#1", result="completed", headline="task completed",
        pr_url="http://github.test/acme/calc/pull/2", reason="`x` | <img src=y>\n# heading",
        commands=[{"command": "echo '`|`'", "exit_code": 0}] * 60,
    )  # fmt: skip
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    write_report(report, summary, output)
    text = summary.read_text()
    assert "\n# heading" not in text and "`ˋxˋ ¦ <img src=y> # heading`" in text
    assert text.count("| 0 |") == 50 and "10 more in the trajectory" in text
    lines = output.read_text().splitlines()
    assert lines[0].startswith("task<<bzzz_") and lines[1] == "acme/calc#1"
    assert lines[2] == lines[0].partition("<<")[2]


def test_the_dispatch_setting_names_owners_or_repositories():
    from bzzz.config import load_settings

    base = {
        "BZZZ_TASKS_TABLE": "t", "BZZZ_AGENTS_TABLE": "a", "BZZZ_DELIVERIES_TABLE": "d",
        "BZZZ_REPOS_TABLE": "r", "BZZZ_THREADS_TABLE": "th", "BZZZ_AUDIT_TABLE": "au",
        "BZZZ_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:bzzz-bus.fifo",
        "AWS_REGION": "us-east-1",
    }  # fmt: skip
    settings = load_settings({**base, "BZZZ_ACTIONS_DISPATCH": " Acme, bob/GPU-repo ,"})
    assert settings.dispatches_to_actions("acme/calc") and settings.dispatches_to_actions("ACME/x")
    assert settings.dispatches_to_actions("bob/gpu-repo")
    assert not settings.dispatches_to_actions("bob/other")
    assert not load_settings(base).dispatches_to_actions("acme/calc")


@pytest.mark.parametrize(
    ("minutes", "configured", "expected"),
    [("60", None, "2520"), ("600", None, "7200"), ("60", "600", "600"), (None, None, None)],
)
def test_the_agents_wall_clock_fits_inside_the_jobs_timeout(
    tmp_path, minutes, configured, expected
):
    from runner.actions.job import ActionJob

    env = _env(tmp_path, BZZZ_JOB_TIMEOUT_MINUTES=minutes, BZZZ_MAX_WALL_CLOCK_SECONDS=configured)
    job = ActionJob(read_environment(env), env)
    job._fit_environment()
    assert env.get("BZZZ_MAX_WALL_CLOCK_SECONDS") == expected
    assert env["BZZZ_RUNNER_ID"] == "actions-acme-calc-77-1"
    assert env["BZZZ_STATE_DIR"] == str(tmp_path / "bzzz")
