"""The GitHub App flow as the control plane runs it: githubkit signs a JWT, finds the
installation of a repository, and works as the installation's bot."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from githubkit import AppAuthStrategy, GitHub
from githubkit.exception import RequestFailed

from tests.fixtures.github import app_jwt


@pytest.fixture(scope="module")
def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_app_finds_its_installation_and_comments_as_its_bot(github, webhook_receiver, private_key):
    github.set_webhook(webhook_receiver.url, "s")
    app = GitHub(
        AppAuthStrategy(4242, private_key),
        base_url=github.base_url,
        http_cache=False,
        auto_retry=False,
    )
    installation = app.rest.apps.get_repo_installation("acme", "calc").parsed_data
    assert (installation.id, installation.app_slug) == (77, "bzzz")
    bot = app.with_auth(app.auth.as_installation(installation.id))
    comment = bot.rest.issues.create_comment(
        "acme", "calc", 1, body="Claimed by runner-1"
    ).parsed_data
    assert comment.user.login == "bzzz[bot]"
    assert comment.user.type == "Bot"
    labels = bot.rest.issues.add_labels("acme", "calc", 1, labels=["bzzz-task"]).parsed_data
    assert "bzzz-task" in [label.name for label in labels]
    hooks = webhook_receiver.wait_for(2)
    assert [h.json()["sender"]["login"] for h in hooks] == ["bzzz[bot]", "bzzz[bot]"]


def test_jwt_of_an_app_the_stand_in_does_not_know_is_bad_credentials(github, private_key):
    stranger = GitHub(
        AppAuthStrategy(1, private_key),
        base_url=github.base_url,
        http_cache=False,
        auto_retry=False,
    )
    with pytest.raises(RequestFailed) as refused:
        stranger.rest.apps.get_repo_installation("acme", "calc")
    assert refused.value.response.status_code == 401
    assert refused.value.response.json()["message"] == "Bad credentials"


def test_an_installation_token_is_narrowed_to_the_repositories_and_permissions_asked(github):
    """As GitHub's description says: `repository_ids` or `repositories`, and `permissions`."""
    world = github.emulator.world
    calc = world.repos["acme/calc"].id
    token = github.installation_token(
        77, 4242, repository_ids=[calc], permissions={"issues": "write"}
    )
    assert world.tokens[token].repos == ["acme/calc"]
    assert world.tokens[token].permissions == {"metadata": "read", "issues": "write"}
    with github.http(token) as http:
        assert (
            http.post("/repos/acme/calc/issues/1/comments", json={"body": "hi"}).status_code == 201
        )
        # contents was not asked for: the token may not write it, though the installation may.
        head = http.get("/repos/acme/calc/branches/main").json()["commit"]["sha"]
        reply = http.post("/repos/acme/calc/git/refs", json={"ref": "refs/heads/x", "sha": head})
        assert reply.status_code == 403

    def refused(**body: object) -> httpx.Response:
        return httpx.post(
            f"{github.base_url}/app/installations/77/access_tokens",
            headers={"Authorization": f"Bearer {app_jwt(4242)}"},
            json=body,
        )

    outside = refused(repository_ids=[calc + 999])
    assert outside.status_code == 422
    assert "not accessible to the parent installation" in outside.json()["message"]
    beyond = refused(repositories=["calc"], permissions={"administration": "write"})
    assert beyond.status_code == 422
    assert beyond.json()["message"].endswith(": administration")
