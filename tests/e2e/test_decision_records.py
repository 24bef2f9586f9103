"""A real runner writes the decision record of the attempt it ran, readable by the roles only.

The whole path of tests/e2e/test_runner_flow.py (moto, the GitHub and Ollama
stand-ins, the sandbox), with BZZZ_DECISION_RECIPIENTS set: the runner holds
public keys only; the record is opened with each role's identity and with the
admin identity recovered from shares, and checked against the verified stream.
"""

from __future__ import annotations

import json

import pytest

from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    REPO,
    TEST_COMMAND,
    calc_seed,
    finish,
    run_command,
    scenario,
    wait_for_end,
    wait_until,
    write_file,
)

BZZZ_YML = f"test: {json.dumps(TEST_COMMAND)}\nbranch_prefix: bzzz/\n"
ROLES = ("maintainers", "security", "operators")


@pytest.mark.github_seed(calc_seed(BZZZ_YML))
def test_the_runner_writes_a_record_each_role_and_the_admin_can_read(
    github, ollama_emulator, runner_env, start_runner, create_task, aws_settings, tmp_path
):
    from bzzz.decisions import (
        DecisionStore,
        DecisionStoreError,
        DecryptError,
        check_binding,
        generate_identity,
        open_record,
        parse_address,
        recipient_of,
        recover_identity,
        split_identity,
    )
    from bzzz.tasks.lifecycle import Lifecycle

    people = {name: generate_identity() for name in (*ROLES, "admin", "stranger")}
    recipients = tmp_path / "recipients.yml"
    recipients.write_text(
        f"admin: {recipient_of(people['admin'])}\nowners:\n  acme:\n"
        + "".join(f"    {role}: [{recipient_of(people[role])}]\n" for role in ROLES),
        encoding="utf-8",
    )
    ollama_emulator.set_scenario(scenario([
        run_command("cat calc.py"),
        write_file("calc.py", FIXED_CALC),
        finish("sum_to stopped one short: range(1, n) is now range(1, n + 1)."),
    ]))  # fmt: skip
    start_runner({**runner_env, "BZZZ_DECISION_RECIPIENTS": str(recipients)})
    create_task()
    done = wait_for_end(Lifecycle(aws_settings), f"{REPO}#1")
    assert done.state == "completed", done.reason

    settings = aws_settings.with_overrides(decision_recipients=str(recipients))
    address, store = parse_address("bzzz://acme/calc/1/1"), DecisionStore(settings)

    def written() -> bool:
        try:
            return bool(store.head(address))
        except DecisionStoreError:
            return False

    wait_until(written, "the decision record")
    assert store.head(address).roles == ("maintainers", "operators", "security")
    for role in ROLES:
        assert open_record(settings, address, [people[role]]).record.outcome.result == "completed"
    shares = split_identity(people["admin"], 2, 3)
    admin = recover_identity(shares[1:], expected_recipient=recipient_of(people["admin"]))
    opened = open_record(settings, address, [admin])
    record = opened.record
    assert record.outcome.pr_url == done.pr_url and record.outcome.branch == done.branch
    assert record.runner == runner_env["BZZZ_RUNNER_ID"]
    assert record.commands[0].command == "cat calc.py"
    assert "range(1, n + 1)" in record.diff.text
    assert "range(1, n + 1)" in record.summary
    with pytest.raises(DecryptError):
        open_record(settings, address, [people["stranger"]])
    # Bound to the stream as it ended: the record's entry is the runner's task.complete.
    binding = check_binding(settings, record, opened.plaintext)
    assert binding.recorded_seq == binding.bound_seq + 1
