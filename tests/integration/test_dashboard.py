"""The dashboard over real HTTP: sign-in through the GitHub stand-in's web flow, what each
viewer sees, the signed session, CSRF on actions, ETag polling. The browser tier
(tests/browser) drives the same pages in Chromium."""

from __future__ import annotations

from urllib.parse import quote

from tests.fixtures.control_plane import API_KEY

KEY = "acme/calc#1"
PAGE = f"/dashboard/tasks/{quote(KEY, safe='')}"


def _task(dashboard, repo: str = "acme/calc", number: int = 1, title: str = "sum_to") -> str:
    task, _ = dashboard.services.intake.lifecycle.create(repo, number, title)
    return str(task.key)


def _running(dashboard):
    """The task claimed and started by runner-a, and runner-a's audit log (its key published)."""
    from bzzz.audit import AuditLog, Signer, publish_public_key

    lifecycle = dashboard.services.intake.lifecycle
    _task(dashboard)
    lifecycle.claim(KEY, "runner-a")
    lifecycle.start(KEY, "runner-a")
    runner = Signer.generate("runner-a")
    publish_public_key(dashboard.settings, runner)
    return lifecycle, AuditLog(dashboard.settings, runner)


def test_without_a_session_every_page_sends_you_to_sign_in(dashboard):
    for path in ("/dashboard/", PAGE, "/dashboard/agents"):
        reply = dashboard.get(path, follow_redirects=False)
        assert (reply.status_code, reply.headers["location"]) == (303, "/dashboard/sign-in")
    assert dashboard.get("/dashboard/?fragment=1").status_code == 401  # a poll just stops
    page = dashboard.get("/dashboard/sign-in")
    assert "Sign in with GitHub" in page.text and "API key" in page.text


def test_the_session_cookie_is_signed_httponly_secure_and_lax(dashboard):
    start = dashboard.get("/dashboard/auth/github", follow_redirects=False)
    assert start.headers["location"].startswith(f"{dashboard.github.base_url}/login/oauth/")
    session = dashboard.sign_in("alice")
    assert dashboard.get("/dashboard/", session).status_code == 200
    login = dashboard.post("/dashboard/sign-in/api-key", None, {"api_key": API_KEY})
    flags = login.headers["set-cookie"].lower()
    assert all(f in flags for f in ("httponly", "secure", "samesite=lax", "path=/dashboard"))
    body, mac = session.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    assert dashboard.get("/dashboard/", forged, follow_redirects=False).status_code == 303


def test_a_reader_sees_the_task_but_no_commands_and_no_actions(dashboard):
    _task(dashboard, title="<script>alert(1)</script> off by one")
    session = dashboard.sign_in("mallory")  # read on acme/calc
    listing = dashboard.get("/dashboard/", session).text
    assert KEY in listing and "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;" in listing
    page = dashboard.get(PAGE, session).text
    assert "shown to writers of acme/calc only" in page
    assert "Cancel this task" not in page and 'name="csrf"' not in page
    assert 'data-verdict="verified"' in page


def test_a_writer_cancels_with_the_forms_token_and_not_without(dashboard):
    _task(dashboard)
    lifecycle = dashboard.services.intake.lifecycle
    bob = dashboard.sign_in("bob")
    refused = dashboard.post(f"{PAGE}/cancel", bob, {"csrf": "guessed"})
    assert refused.status_code == 403 and lifecycle.get(KEY).state == "queued"
    done = dashboard.post(f"{PAGE}/cancel", bob, {"csrf": dashboard.csrf(bob, PAGE)})
    assert done.status_code == 303 and "notice=task+cancelled" in done.headers["location"]
    assert lifecycle.get(KEY).state == "cancelled"
    assert lifecycle.get(KEY).reason == "cancelled on the dashboard by bob"


def test_a_readers_forged_action_is_refused_even_with_its_own_token(dashboard):
    _task(dashboard)
    mallory = dashboard.sign_in("mallory")
    token = dashboard.csrf(dashboard.sign_in("bob"), PAGE)  # not mallory's session's token
    assert dashboard.post(f"{PAGE}/cancel", mallory, {"csrf": token}).status_code == 403
    assert dashboard.services.intake.lifecycle.get(KEY).state == "queued"


def test_a_task_outside_the_viewers_installations_is_not_found(dashboard):
    other = _task(dashboard, repo="zeta/secret", number=5, title="hidden")
    alice = dashboard.sign_in("alice")
    assert other not in dashboard.get("/dashboard/", alice).text
    page = dashboard.get(f"/dashboard/tasks/{quote(other, safe='')}", alice)
    assert page.status_code == 404 and "hidden" not in page.text
    operator = dashboard.post("/dashboard/sign-in/api-key", None, {"api_key": API_KEY})
    session = operator.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    assert other in dashboard.get("/dashboard/", session).text


def test_a_wrong_api_key_signs_nobody_in(dashboard):
    reply = dashboard.post("/dashboard/sign-in/api-key", None, {"api_key": "nope"})
    assert reply.status_code == 303 and "error=" in reply.headers["location"]
    assert "set-cookie" not in reply.headers


def test_filters_and_counts(dashboard):
    _task(dashboard)
    _task(dashboard, number=2, title="second")
    dashboard.services.intake.lifecycle.claim("acme/calc#2", "runner-a")
    alice = dashboard.sign_in("alice")
    claimed = dashboard.get("/dashboard/?state=claimed", alice).text
    assert "acme/calc#2" in claimed and 'data-task="acme/calc#1"' not in claimed
    assert 'data-count="queued">1<' in claimed and 'data-count="claimed">1<' in claimed
    by_agent = dashboard.get("/dashboard/?agent=runner-a", alice).text
    assert 'data-task="acme/calc#2"' in by_agent and 'data-task="acme/calc#1"' not in by_agent


def test_the_charts_show_the_states_over_time_and_the_time_to_a_claim(dashboard):
    _task(dashboard)
    _task(dashboard, number=2, title="second")
    dashboard.services.intake.lifecycle.claim("acme/calc#2", "runner-a")
    page = dashboard.get("/dashboard/", dashboard.sign_in("alice")).text
    assert "Last 15 minutes" in page
    # Both were queued in the last interval and one is claimed now; none completed.
    assert 'aria-label="queued: ' in page and 'aria-label="claimed: ' in page
    queued = page.split('aria-label="queued: ', 1)[1].split(" tasks per interval", 1)[0]
    claimed = page.split('aria-label="claimed: ', 1)[1].split(" tasks per interval", 1)[0]
    assert queued.split(", ")[-1] == "2" and claimed.split(", ")[-1] == "1"
    assert 'data-latency="claim">1<' in page and 'data-latency="pull_request">0<' in page


def test_a_poll_gets_304_until_something_changes(dashboard, monkeypatch):
    import time

    from bzzz.dashboard import pages

    now = time.time()
    monkeypatch.setattr(pages, "clock", lambda: now)  # ages hold still between the polls
    _task(dashboard)
    alice = dashboard.sign_in("alice")
    first = dashboard.get("/dashboard/?fragment=1", alice)
    assert first.status_code == 200 and "<html" not in first.text
    etag = first.headers["etag"]
    same = dashboard.get("/dashboard/?fragment=1", alice, headers={"If-None-Match": etag})
    assert same.status_code == 304
    dashboard.services.intake.lifecycle.claim(KEY, "runner-a")
    changed = dashboard.get("/dashboard/?fragment=1", alice, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "claimed" in changed.text


def test_agents_and_queues_page(dashboard):
    from bzzz.agents import register

    register("runner-a", models=["qwen2.5-coder"], capacity=2, current_tasks=[KEY])
    alice = dashboard.sign_in("alice")
    page = dashboard.get("/dashboard/agents", alice).text
    assert "runner-a" in page and "qwen2.5-coder" in page and "1 / 2" in page


def test_the_audit_verdict_turns_red_at_the_first_tampered_entry(dashboard):
    from bzzz import aws
    from bzzz.audit import AuditLog, Signer, publish_public_key

    _task(dashboard)
    runner = Signer.generate("runner-a")
    publish_public_key(dashboard.settings, runner)
    log = AuditLog(dashboard.settings, runner)
    lease = {"attempt": 1, "lease_owner": "runner-a"}
    log.append(KEY, "task.claim", {"state": "claimed", "version": 2, **lease})
    log.append(KEY, "command.run", {"command": "pytest -q", "exit_code": 1})
    alice = dashboard.sign_in("alice")
    page = dashboard.get(PAGE, alice).text
    assert 'data-verdict="verified"' in page and "<code>pytest -q</code>" in page
    mallory = dashboard.sign_in("mallory")
    assert "pytest -q" not in dashboard.get(PAGE, mallory).text  # not even in the entries
    db = aws.client("dynamodb", dashboard.settings)
    stored = db.query(
        TableName=dashboard.settings.audit_table,
        KeyConditionExpression="stream = :s",
        ExpressionAttributeValues={":s": {"S": KEY}},
    )["Items"]
    command = next(i for i in stored if i.get("type", {}).get("S") == "command.run")
    data = command["data"]["S"].replace('"exit_code":1', '"exit_code":0')
    db.put_item(TableName=dashboard.settings.audit_table, Item={**command, "data": {"S": data}})
    red = dashboard.get(PAGE, alice).text
    assert 'data-verdict="failed"' in red
    assert f"at entry {command['seq']['N']}:" in red


def test_a_writer_sees_the_output_tails_and_everyone_the_pull_requests_diff_summary(dashboard):
    """Tails are the sandbox's words (escaped, writers only, in the entries list too); the diff
    summary sits beside the PR's link for whoever sees the link."""
    from bzzz.audit import diff_summary, digest, output_tail

    lifecycle, log = _running(dashboard)
    lease = {"attempt": 1, "lease_owner": "runner-a"}
    log.append(KEY, "task.claim", {"state": "claimed", "version": 2, **lease})
    output = "\x1b[31mFAILED\x1b[0m test_sum\n<img src=x onerror=alert(1)> TAIL-MARK\n"
    data = {"command": "pytest -q", "exit_code": 1, "output_sha256": digest(output)}
    log.append(KEY, "command.run", {**data, "output_tail": output_tail(output)})
    pr_url = f"{dashboard.github.base_url}/acme/calc/pull/7"
    rows = [("calc.py", 2, 1), ("<b>bold</b>.py", 3, 0), ("logo.png", None, None)]
    log.append(KEY, "pr.opened", {"url": pr_url, "branch": "bzzz/1-x", "draft": True,
                                  **diff_summary(rows)})  # fmt: skip
    lifecycle.complete(KEY, "runner-a", pr_url, "bzzz/1-x")

    writer = dashboard.get(PAGE, dashboard.sign_in("bob")).text
    assert 'data-verdict="verified"' in writer
    assert "<pre>FAILED test_sum\n&lt;img src=x onerror=alert(1)&gt; TAIL-MARK</pre>" in writer
    assert "<img src=x" not in writer and "\x1b" not in writer
    for page in (writer, dashboard.get(PAGE, dashboard.sign_in("mallory")).text):
        assert "3 files changed, " in page and "+5</span>" in page and "−1</span>" in page
        assert "<code>&lt;b&gt;bold&lt;/b&gt;.py</code></td><td>+3</td><td>−0</td>" in page
        assert '<code>logo.png</code></td><td colspan="2">binary</td>' in page
    reader = page
    assert "TAIL-MARK" not in reader and "FAILED test_sum" not in reader
    assert "pytest -q" not in reader and "shown to writers of acme/calc only" in reader
    # The poll's fragment is held to the same rule.
    fragment = dashboard.get(f"{PAGE}?fragment=1", dashboard.sign_in("mallory")).text
    assert "TAIL-MARK" not in fragment and "3 files changed" in fragment


def test_a_review_rounds_push_updates_the_diff_summary_and_a_side_push_does_not(dashboard):
    from bzzz.audit import diff_summary

    lifecycle, log = _running(dashboard)
    pr_url = f"{dashboard.github.base_url}/acme/calc/pull/7"
    log.append(KEY, "pr.opened", {"url": pr_url, "branch": "bzzz/1-x", "draft": True,
                                  **diff_summary([("calc.py", 2, 1)])})  # fmt: skip
    lifecycle.complete(KEY, "runner-a", pr_url, "bzzz/1-x")
    page = dashboard.get(PAGE, dashboard.sign_in("bob")).text
    assert "1 file changed, " in page and "+2</span>" in page
    round_push = {"branch": "bzzz/1-x", "remote": "https://example.invalid", "round": 1}
    rows = [("calc.py", 4, 1), ("test_calc.py", 9, 0)]
    log.append(KEY, "git.push", {**round_push, "commit": "b" * 40, **diff_summary(rows)})
    side = {**round_push, "branch": "bzzz/1-x-round-2", "round": 2, "partial": True}
    log.append(KEY, "git.push", {**side, "commit": "c" * 40, **diff_summary([("x.py", 99, 0)])})
    page = dashboard.get(PAGE, dashboard.sign_in("bob")).text
    assert "2 files changed, " in page and "+13</span>" in page and "−1</span>" in page
    assert "<code>test_calc.py</code></td><td>+9</td><td>−0</td>" in page
    assert "x.py</code>" not in page  # the side branch is not the pull request's


def test_retry_queues_an_escalated_task_again_and_refuses_others(dashboard):
    lifecycle = dashboard.services.intake.lifecycle
    _task(dashboard)
    bob = dashboard.sign_in("bob")
    token = dashboard.csrf(bob, PAGE)
    early = dashboard.post(f"{PAGE}/retry", bob, {"csrf": token})
    assert early.status_code == 400 and "only an escalated task" in early.text
    lifecycle.claim(KEY, "runner-a")
    lifecycle.start(KEY, "runner-a")
    lifecycle.escalate(KEY, "runner-a", "stuck on the spec")
    assert "Retry (queue again)" in dashboard.get(PAGE, bob).text
    done = dashboard.post(f"{PAGE}/retry", bob, {"csrf": token})
    assert done.status_code == 303 and "queued+again" in done.headers["location"]
    assert lifecycle.get(KEY).state == "queued"


def test_only_an_operator_redrives_a_queue(dashboard):
    bob = dashboard.sign_in("bob")
    _task(dashboard)
    token = dashboard.csrf(bob, PAGE)
    refused = dashboard.post("/dashboard/queues/status/redrive", bob, {"csrf": token})
    assert refused.status_code == 403 and "operators" in refused.text
    login = dashboard.post("/dashboard/sign-in/api-key", None, {"api_key": API_KEY})
    operator = login.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    page = dashboard.get("/dashboard/agents", operator).text
    assert '<th scope="row">status</th>' in page
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0] if "csrf" in page else ""
    token = token or dashboard.csrf(operator, PAGE)
    unknown = dashboard.post("/dashboard/queues/nope/redrive", operator, {"csrf": token})
    assert unknown.status_code == 400 and "unknown queue" in unknown.text
    moved = dashboard.post("/dashboard/queues/status/redrive", operator, {"csrf": token})
    assert moved.status_code == 303 and "status%3A+redriven" in moved.headers["location"]


def test_the_sign_in_page_shows_only_its_own_words(dashboard):
    planted = dashboard.get("/dashboard/sign-in?error=Call+support+at+555").text
    assert "555" not in planted
    assert "That API key is wrong" in dashboard.get("/dashboard/sign-in?error=wrong_key").text


def test_a_stale_or_forged_state_signs_nobody_in(dashboard):
    reply = dashboard.get("/dashboard/auth/callback?code=abc&state=forged")
    assert reply.status_code == 400 and "stale" in reply.text
    assert "set-cookie" not in reply.headers


def test_a_notice_shows_only_when_the_dashboard_wrote_it(dashboard):
    _task(dashboard)
    bob = dashboard.sign_in("bob")
    done = dashboard.post(f"{PAGE}/cancel", bob, {"csrf": dashboard.csrf(bob, PAGE)})
    location = done.headers["location"].removeprefix(dashboard.url)
    assert '<p class="notice" role="status">task cancelled</p>' in dashboard.get(location, bob).text
    forged = dashboard.get(f"{PAGE}?notice=Your+session+expired,+call+555", bob).text
    assert "555" not in forged


def test_the_task_page_says_which_decision_records_exist_and_for_whom_never_their_content(
    dashboard,
):
    """A record's listing and metadata only (bzzz.decisions.summary): the dashboard holds no
    identity, and the ciphertext never reaches a page."""
    from bzzz.decisions.address import Address
    from bzzz.decisions.store import DecisionStore

    _task(dashboard)
    session = dashboard.sign_in("mallory")  # a reader
    assert "No decision record yet" in dashboard.get(PAGE, session).text
    secret = b"age-encryption.org/v1 CIPHERTEXT-NEVER-SHOWN"
    DecisionStore(dashboard.settings).put(
        Address("acme/calc", 1, 1), secret, ["maintainers", "security"], 1_796_300_000.0
    )
    page = dashboard.get(PAGE, session).text
    assert "<code>bzzz://acme/calc/1/1</code> — for maintainers, security" in page
    assert "CIPHERTEXT" not in page and "age-encryption" not in page
