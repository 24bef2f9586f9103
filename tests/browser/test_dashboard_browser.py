"""The dashboard in a real browser while a real task runs: sign in through the GitHub
stand-in, watch the task go from queued to completed without a reload, open its page and
its audit verdict, and see what a reader (no write access) is not shown.

The task runs the e2e way: task.available on the bus, a real runner claiming it, the
sandbox on the container engine, the scripted model over Ollama's API.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures.runner_scenario import (
    FIXED_CALC,
    TEST_COMMAND,
    calc_seed,
    finish,
    run_command,
    scenario,
    wait_for_end,
    write_file,
)

KEY = "acme/calc#1"
ROW = f'tr[data-task="{KEY}"]'
BZZZ_YML = f"test: {json.dumps(TEST_COMMAND)}\nbranch_prefix: bzzz/\n"


@pytest.mark.github_seed(calc_seed(BZZZ_YML))
def test_a_task_is_watched_to_completion_and_a_reader_sees_no_outputs(
    dashboard,
    signed_in,
    axe_check,
    screenshot,
    ollama_emulator,
    start_runner,
    create_task,
    aws_settings,
):
    from bzzz.bus import Bus
    from bzzz.tasks.lifecycle import Lifecycle

    ollama_emulator.set_scenario(
        scenario(
            [
                run_command(TEST_COMMAND, delay=2.0),  # slow enough for the page to show it running
                write_file("calc.py", FIXED_CALC),
                run_command(TEST_COMMAND),
                finish("sum_to stopped one short: range(1, n) is now range(1, n + 1)."),
            ]
        )
    )
    alice = signed_in("alice")  # admin of acme/calc: a writer
    assert alice.get_by_text("No tasks").is_visible()
    assert axe_check(alice) == []
    alice.evaluate("window.__sameDocument = true")  # gone if the page ever reloads

    start_runner()
    create_task()
    row = alice.locator(ROW)
    row.wait_for(timeout=30_000)  # the poll brought it in
    row.locator(".state-completed").wait_for(timeout=240_000)
    assert alice.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert int(alice.locator("[data-poll]").get_attribute("data-polled") or 0) > 1
    assert row.locator(".state").inner_text().strip() == "✓ completed"  # text, not colour
    assert alice.locator('[data-count="completed"]').inner_text() == "1"
    # The charts came with the polls too: one labelling, claimed and answered by a PR.
    alice.locator('[data-latency="pull_request"]', has_text="1").wait_for(timeout=30_000)
    assert alice.locator('[data-latency="claim"]').inner_text() == "1"
    assert alice.get_by_role("img", name=re.compile(r"^completed: .*1 tasks per interval$")).count()
    screenshot(alice, "dashboard-tasks")
    done = wait_for_end(Lifecycle(aws_settings, publisher=Bus(aws_settings)), KEY)
    assert done.state == "completed"

    row.get_by_role("link", name=KEY).click()
    alice.wait_for_url("**/dashboard/tasks/acme%2Fcalc%231")
    verdict = alice.locator("[data-verdict]")
    assert verdict.get_attribute("data-verdict") == "verified", verdict.inner_text()
    assert "Verified" in verdict.inner_text()
    commands = alice.locator("table.commands tbody tr")
    assert commands.count() >= 2
    assert TEST_COMMAND.split(" ")[0] in alice.locator("table.commands").inner_text()
    assert alice.get_by_role("link", name=str(done.pr_url)).is_visible()
    assert alice.locator("[data-diffstat]").inner_text() == "1 file changed, +1 −1"
    tail = alice.locator("details.tail").last
    tail.locator("summary").click()
    assert "passed" in tail.locator("pre").inner_text()  # the last run's pytest summary
    assert axe_check(alice) == []
    screenshot(alice, "dashboard-task")

    alice.get_by_role("link", name="Agents & queues").click()
    alice.get_by_role("heading", name="Queues", exact=True).wait_for()
    assert "1 / 1" in alice.content() or "0 / 1" in alice.content()  # the runner, live
    assert axe_check(alice) == []

    # mallory reads acme/calc but cannot write: the task, never the commands.
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    mallory = signed_in("mallory", **phone)
    mallory.locator(ROW).get_by_role("link", name=KEY).click()
    mallory.locator('[data-verdict="verified"]').wait_for()
    assert mallory.locator("table.commands").count() == 0
    assert mallory.locator('[data-hidden="commands"]').is_visible()
    hidden = mallory.locator("section", has=mallory.locator("#commands-h")).inner_text()
    assert "python3" not in hidden and "writers of acme/calc only" in hidden
    assert mallory.get_by_role("button", name="Cancel this task").count() == 0
    assert mallory.locator("details.tail").count() == 0  # no output either
    assert mallory.locator("[data-diffstat]").is_visible()  # the PR's, public anyway
    # One column on a phone: nothing wider than the screen but the tables' own scrollers.
    assert mallory.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_check(mallory) == []
    screenshot(mallory, "dashboard-task-reader-phone")


def test_the_eval_pages_show_a_published_run(signed_in, dashboard, axe_check, screenshot, tmp_path):
    from cli.eval_publish import publish_run
    from runner.evaluation.report import Result, write

    write(tmp_path, "qwen2.5-coder:0.5b", [
        Result("more-itertools__more-itertools-f51a53b", True, "finished", iterations=4,
               tokens=5120, seconds=41.5),
        Result("tkem__cachetools-57d2e48", False, "budget", iterations=12, tokens=16384,
               seconds=190.0, note="iteration limit reached"),
    ])  # fmt: skip
    run = publish_run(dashboard.settings, tmp_path).rstrip("/").rsplit("/", 1)[1]
    bob = signed_in("bob")
    bob.get_by_role("link", name="Eval results").click()
    bob.locator(f'[data-run="{run}"]').wait_for()
    assert "50.0 %" in bob.locator(f'[data-run="{run}"]').inner_text()
    assert axe_check(bob) == []
    bob.locator(f'[data-run="{run}"]').get_by_role("link").first.click()
    row = bob.locator('tr[data-instance="tkem__cachetools-57d2e48"]')
    row.wait_for()
    assert "✗ not resolved" in row.inner_text()  # a word beside the icon, not a colour
    assert axe_check(bob) == []
    screenshot(bob, "dashboard-eval-run")


def test_the_sign_in_pages_pass_axe(browser, dashboard, axe_check):
    context = browser.new_context(bypass_csp=True)  # for axe_check's injected script
    try:
        page = context.new_page()
        page.goto(dashboard.url + "/dashboard/")
        assert page.url.endswith("/dashboard/sign-in")
        assert axe_check(page) == []
        page.get_by_role("link", name="Sign in with GitHub").click()
        page.get_by_role("button", name="Cancel").click()  # on the stand-in's page
        page.wait_for_url("**/dashboard/sign-in?error=*")
        assert page.get_by_role("alert").inner_text() == "GitHub sign-in was cancelled"
    finally:
        context.close()
