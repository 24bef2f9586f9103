"""The task's credentials and working tree against the GitHub stand-in's REST API and git server.

A GitHub App mints an installation token for the one repository; the clone
and the push authenticate with it as a per-command header, so the working
tree - which the sandbox mounts - never holds it.
"""

from __future__ import annotations

import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bzzz.config import Settings
from bzzz.errors import ConfigError
from bzzz.secrets import SecretStore
from runner.credentials import Credentials
from runner.git.publish import branch_name, publish_branch
from runner.git.workspace import GitError, Workspace, repository_info

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _settings(github, app_id: int | None) -> Settings:
    return Settings(
        *["unused"] * 6, "arn:aws:sns:us-east-1:0:unused.fifo", "us-east-1",
        github_api_url=github.base_url, github_app_id=app_id,
    )  # fmt: skip


def test_an_app_token_is_minted_for_the_one_repository_and_never_written_to_git(
    github, app_key, tmp_path
):
    credentials = Credentials(
        _settings(github, 4242),
        SecretStore(_settings(github, 4242), {"GITHUB_APP_PRIVATE_KEY": app_key}),
    )
    assert credentials.check().startswith("GitHub App 4242")
    token = credentials.token_for("acme/calc")
    assert token.scoped and token.value.startswith("ghs_")
    assert token.value not in repr(token)
    clone_url, base = repository_info(github.base_url, token)
    assert (clone_url, base) == (f"{github.base_url}/acme/calc.git", "main")

    workspace = Workspace(tmp_path / "calc", token)
    workspace.clone(clone_url, base)
    (workspace.path / "calc.py").write_text("def sum_to(n):\n    return n * (n + 1) // 2\n")
    branch = branch_name("bzzz/", 1, "sum_to(n) leaves out n!")
    assert branch == "bzzz/1-sum-to-n-leaves-out-n"
    assert publish_branch(workspace, branch, "Fix sum_to (#1)")
    assert publish_branch(workspace, branch, "nothing new") is False

    # Nothing under the working tree holds the token; the remote URL carries no credentials.
    found = subprocess.run(
        ["grep", "-rlF", token.value, str(workspace.path)], capture_output=True, text=True
    )
    assert found.returncode == 1 and found.stdout == ""
    assert (workspace.path / ".git" / "config").read_text().count(github.base_url) == 1
    author = workspace.git("log", "-1", "--format=%an <%ae>").strip()
    assert author == "bzzz[bot] <bzzz[bot]@users.noreply.github.com>"
    heads = subprocess.run(
        ["git", "ls-remote", "--heads", github.git_url("acme/calc")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"refs/heads/{branch}" in heads

    # The same token reads roles and the issue and opens the draft PR, as the App's bot.
    api = credentials.api(token)
    assert (api.role("acme/calc", "bob"), api.role("acme/calc", "mallory")) == ("write", "read")
    assert api.issue("acme/calc", 1).title == "sum_to(n) leaves out n"
    url = api.open_draft_pull("acme/calc", branch, base, "Fix sum_to (#1)", "Fixes #1")
    pull = github.client("alice").rest.pulls.get("acme", "calc", int(url.rsplit("/", 1)[1]))
    assert (pull.json()["user"]["login"], pull.json()["draft"]) == ("bzzz[bot]", True)


def test_without_the_token_git_cannot_push_and_the_error_hides_the_token(github, tmp_path):
    settings = _settings(github, None)
    token = Credentials(settings, SecretStore(settings, {"GITHUB_TOKEN": "ghp_mallory_demo_token"}))
    repo_token = token.token_for("acme/calc")
    workspace = Workspace(tmp_path / "calc", repo_token)
    workspace.clone(*repository_info(github.base_url, repo_token))
    (workspace.path / "x.txt").write_text("x\n")
    with pytest.raises(GitError) as refused:
        publish_branch(workspace, "bzzz/1-x", "read-only users cannot push")
    assert "ghp_mallory_demo_token" not in str(refused.value)


def test_no_credential_at_all_is_a_config_error(github):
    settings = _settings(github, None)
    with pytest.raises(ConfigError, match="GITHUB_TOKEN"):
        Credentials(settings, SecretStore(settings, {})).check()
