"""The contract check itself: it must reject what GitHub's descriptions reject.

Every other test of the stand-in passes through this check at teardown, so a
check that accepted anything would make the whole suite prove nothing.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace

from infra.github_emulator import DEMO_SEED, GitHubEmulator, shapes, start_in_thread
from infra.github_emulator.contract import Exchange
from tests.fixtures.github import contract_violations


def _recorded(github, path):
    with github.http(github.tokens["alice"]) as http:
        assert http.get(path).status_code == 200
    return next(e for e in github.exchanges if e.path == path)


def test_a_real_reply_conforms_and_a_tampered_one_does_not(github, github_contracts):
    rest, hooks = github_contracts
    good = _recorded(github, "/repos/acme/calc/issues/1")
    assert json.loads(good.body)["closed_at"] is None  # nullable fields are accepted
    assert contract_violations([good], [], rest, hooks) == []

    body = json.loads(good.body)
    del body["number"]
    body["state"] = 3
    body["user"]["login"] = None
    wrong = replace(good, body=json.dumps(body).encode())
    problems = contract_violations([wrong], [], rest, hooks)
    assert any("'number' is a required property" in p for p in problems)
    assert any("state: 3 is not of type 'string'" in p for p in problems)
    assert any("user/login: None is not of type 'string'" in p for p in problems)


def test_undocumented_status_and_unknown_path_are_violations(github_contracts):
    rest, _ = github_contracts
    teapot = Exchange("GET", "/repos/acme/calc/issues/1", 418, {}, b'{"message": "teapot"}')
    assert "status not documented" in rest.check(teapot)[0]
    nowhere = Exchange("GET", "/no/such/endpoint", 200, {}, b"{}")
    assert "no operation" in rest.check(nowhere)[0]
    bad_format = Exchange("GET", "/repos/acme/calc/labels", 200, {}, b'[{"url": "not a uri"}]')
    assert any("'not a uri' is not a 'uri'" in p for p in rest.check(bad_format))


def test_a_tampered_webhook_payload_is_a_violation(github, github_contracts, webhook_receiver):
    rest, hooks = github_contracts
    github.set_webhook(webhook_receiver.url, "s")
    github.act("alice", "acme/calc", 1, "label", label="bzzz-task")
    payload = webhook_receiver.wait_for(1)[0].json()
    assert contract_violations([], [("issues", payload)], rest, hooks) == []

    no_sender = {k: v for k, v in payload.items() if k != "sender"}
    extra = copy.deepcopy(payload)
    extra["issue"]["unexpected"] = True
    problems = contract_violations([], [("issues", no_sender), ("issues", extra)], rest, hooks)
    assert any("'sender' is a required property" in p for p in problems)
    assert any("'unexpected' was unexpected" in p for p in problems)


def test_a_stand_in_that_drifts_from_github_is_caught_end_to_end(monkeypatch, github_contracts):
    """Break one shape of a running stand-in; the recorded replies must then fail the check."""
    real_label = shapes.label

    def label_without_color(*args, **kwargs):
        shaped = real_label(*args, **kwargs)
        del shaped["color"]
        return shaped

    monkeypatch.setattr(shapes, "label", label_without_color)
    exchanges: list[Exchange] = []
    with start_in_thread(GitHubEmulator.from_seed(DEMO_SEED, recorder=exchanges.append)) as run:
        import httpx

        assert httpx.get(f"{run.base_url}/repos/acme/calc/labels").status_code == 200
    problems = contract_violations(exchanges, [], *github_contracts)
    assert any("'color' is a required property" in p for p in problems)
