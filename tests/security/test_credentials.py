"""Attacks on the token route: only the lease holder gets a token, and it reaches one repo.

Against the real control plane (its HTTP app under uvicorn), the GitHub
stand-in and moto. The App key lives only in the control plane's services;
every refusal is asserted for its status, its precise message, and for
naming nothing of the configuration.
"""

from __future__ import annotations

import copy
import subprocess
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml

from bzzz.audit import Signer
from bzzz.credentials import TASK_PERMISSIONS, sign_request
from bzzz.tasks.lifecycle import Lifecycle
from infra.github_emulator import DEMO_SEED
from tests.fixtures.control_plane import API_KEY, ControlPlane

KEY = "acme/calc#1"


def _seed() -> dict[str, Any]:
    """The demo world plus a private acme/secret, in the same installation, which holds more."""
    seed = copy.deepcopy(yaml.safe_load(DEMO_SEED.read_text()))
    seed["repos"].append(
        {"name": "acme/secret", "private": True, "files": {"KEYS": "not for bzzz\n"}}
    )
    installation = seed["installations"][0]
    installation["repos"].append("acme/secret")
    installation["permissions"].update(administration="write", workflows="write")
    return seed


SEED = pytest.mark.github_seed(_seed())


def _ask(plane: ControlPlane, key: str, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return httpx.post(f"{plane.url}/api/tasks/{quote(key, safe='')}/token", headers=headers)


def _claimed(plane: ControlPlane, agent: str, *, expired: bool = False) -> None:
    lifecycle = Lifecycle(plane.settings)
    lifecycle.create("acme/calc", 1, "sum_to(n) leaves out n")
    if expired:  # claimed long enough ago that the lease ran out
        ago = time.time() - 10 * plane.settings.lease_seconds
        Lifecycle(plane.settings, clock=lambda: ago).claim(KEY, agent)
    else:
        lifecycle.claim(KEY, agent)


def _reveals_nothing(reply: httpx.Response, plane: ControlPlane) -> None:
    text = reply.text
    settings = plane.settings
    for secret_or_config in (
        "BZZZ_", "GITHUB_", "arn:", "4242", plane.app_key[40:80], API_KEY,
        settings.tasks_table, settings.deliveries_table, settings.audit_table,
    ):  # fmt: skip
        assert secret_or_config not in text, f"{secret_or_config!r} in {text}"


@SEED
def test_the_lease_holder_gets_a_token_for_its_repository_only(github, control_plane):
    runner = control_plane.runner_key("runner-a")
    _claimed(control_plane, "runner-a")

    reply = _ask(control_plane, KEY, sign_request(runner, KEY))
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "no-store"
    body = reply.json()
    assert body["repository"] == "acme/calc"
    assert body["permissions"] == TASK_PERMISSIONS  # not administration, not workflows
    token = body["token"]

    with github.http(token) as http:
        assert http.get("/repos/acme/calc").status_code == 200
        comment = http.post("/repos/acme/calc/issues/1/comments", json={"body": "on it"})
        assert comment.status_code == 201
        # Same installation, same owner: still out of the token's reach.
        assert http.get("/repos/acme/secret").status_code == 404
        assert http.post("/repos/acme/secret/issues", json={"title": "x"}).status_code == 404
    minted = github.emulator.world.tokens[token]
    assert minted.repos == ["acme/calc"]
    assert "administration" not in minted.permissions

    # git: the token clones acme/calc and is refused on acme/secret.
    def ls_remote(repo: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "ls-remote", github.git_url(repo, token)],
            capture_output=True, text=True,
            env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"},
        )  # fmt: skip

    assert ls_remote("acme/calc").returncode == 0
    refused = ls_remote("acme/secret")
    assert refused.returncode != 0 and "not found" in refused.stderr.lower()


@SEED
def test_a_runner_that_does_not_hold_the_lease_is_refused_403(github, control_plane):
    control_plane.runner_key("runner-a")
    thief = control_plane.runner_key("runner-b")
    _claimed(control_plane, "runner-a")

    reply = _ask(control_plane, KEY, sign_request(thief, KEY))
    assert reply.status_code == 403
    assert reply.json() == {
        "error": "not_lease_holder",
        "message": "runner-b does not hold the lease of acme/calc#1 (held by runner-a)",
        "field": "task",
    }
    _reveals_nothing(reply, control_plane)


@SEED
def test_a_queued_task_gives_nobody_a_token(github, control_plane):
    runner = control_plane.runner_key("runner-a")
    Lifecycle(control_plane.settings).create("acme/calc", 1, "sum_to(n) leaves out n")
    reply = _ask(control_plane, KEY, sign_request(runner, KEY))
    assert reply.status_code == 403
    assert reply.json()["message"].endswith("(held by nobody)")


@SEED
def test_an_expired_lease_is_refused_409(github, control_plane):
    runner = control_plane.runner_key("runner-a")
    _claimed(control_plane, "runner-a", expired=True)

    reply = _ask(control_plane, KEY, sign_request(runner, KEY))
    assert reply.status_code == 409
    assert reply.json() == {
        "error": "lease_expired",
        "message": "the lease of runner-a on acme/calc#1 has expired",
        "field": "task",
    }
    _reveals_nothing(reply, control_plane)


@SEED
@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "a signed request is required: Authorization: Bzzz-Ed25519 ..."),
        (f"Bearer {API_KEY}", "the Authorization scheme must be Bzzz-Ed25519"),
        ("Bzzz-Ed25519 agent=runner-a", "the Authorization header is malformed"),
        ('Bzzz-Ed25519 agent="runner-a"', "the Authorization header lacks ts, nonce, sig"),
    ],
    ids=["missing", "the-api-key", "malformed", "incomplete"],
)
def test_a_missing_or_wrong_credential_is_refused_401(
    github, control_plane, authorization, message
):
    control_plane.runner_key("runner-a")
    _claimed(control_plane, "runner-a")
    reply = _ask(control_plane, KEY, authorization)
    assert reply.status_code == 401
    assert reply.json() == {
        "error": "unauthorized",
        "message": message,
        "field": "header authorization",
    }
    assert reply.headers["www-authenticate"].startswith("Bzzz-Ed25519")
    _reveals_nothing(reply, control_plane)


@SEED
def test_a_forged_signature_is_refused_and_an_unknown_runner_gets_the_same_answer(
    github, control_plane
):
    control_plane.runner_key("runner-a")
    _claimed(control_plane, "runner-a")
    # Mallory knows the holder's id, not its key; she signs with her own key under that id.
    forged = _ask(control_plane, KEY, sign_request(Signer.generate("runner-a"), KEY))
    unknown = _ask(control_plane, KEY, sign_request(Signer.generate("runner-zz"), KEY))
    assert (forged.status_code, unknown.status_code) == (401, 401)
    assert forged.json()["message"] == (
        "the signature does not verify against the registered key of runner-a"
    )
    assert unknown.json()["message"] == forged.json()["message"].replace("runner-a", "runner-zz")
    for reply in (forged, unknown):
        _reveals_nothing(reply, control_plane)


@SEED
def test_a_signature_for_another_task_a_stale_one_and_a_replay_are_refused(github, control_plane):
    runner = control_plane.runner_key("runner-a")
    _claimed(control_plane, "runner-a")
    other_task = _ask(control_plane, KEY, sign_request(runner, "acme/secret#1"))
    assert other_task.status_code == 401

    stale = _ask(control_plane, KEY, sign_request(runner, KEY, now=time.time() - 3600))
    assert stale.status_code == 401
    assert "stale" in stale.json()["message"]

    header = sign_request(runner, KEY)
    assert _ask(control_plane, KEY, header).status_code == 200
    replay = _ask(control_plane, KEY, header)
    assert replay.status_code == 401
    assert replay.json()["message"] == "the request was replayed: its nonce is spent"


@SEED
def test_a_later_key_for_a_registered_runner_does_not_count(github, control_plane):
    """Whoever can write the tables cannot re-key the lease holder and sign as it."""
    from bzzz.audit import KEYS_STREAM, AuditLog

    control_plane.runner_key("runner-a")
    _claimed(control_plane, "runner-a")
    usurper = Signer.generate("runner-a")
    AuditLog(control_plane.settings, usurper).append(
        KEYS_STREAM, "key.registered", {"public_key": usurper.public_key}
    )
    assert _ask(control_plane, KEY, sign_request(usurper, KEY)).status_code == 401


@pytest.fixture
def unconfigured_plane(aws_settings, github):
    """A control plane whose one secret holds neither the API key nor the webhook secret."""
    from bzzz import aws
    from handlers.http_app import Services, create_app
    from tests.fixtures.control_plane import serve

    # The deployment's one secret exists, but holds neither the API key nor the webhook secret.
    secret = aws.client("secretsmanager", aws_settings).create_secret(
        Name=f"{aws_settings.tasks_table}-secrets", SecretString="{}"
    )["ARN"]
    settings = aws_settings.with_overrides(github_api_url=github.base_url, secrets_id=secret)
    url, stop = serve(create_app(Services.build(settings, {})))
    yield url, settings
    stop()


def test_errors_before_authentication_name_no_configuration(github, unconfigured_plane):
    url, settings = unconfigured_plane
    replies = [
        httpx.get(f"{url}/api/tasks"),
        httpx.get(f"{url}/api/tasks", headers={"Authorization": "Bearer guess"}),
        httpx.post(f"{url}/github/webhook", json={}, headers={"X-Hub-Signature-256": "sha256=0"}),
    ]
    for reply in replies:
        assert reply.status_code == 503
        assert reply.json() == {
            "error": "unavailable",
            "message": "the control plane cannot serve this request now; try again later",
            "field": None,
        }
        assert (
            "BZZZ_" not in reply.text and "arn:" not in reply.text and "api_key" not in reply.text
        )
        assert settings.tasks_table not in reply.text
