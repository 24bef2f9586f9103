"""The task's credentials and working tree against the control plane, the stand-in's REST and git.

The control plane mints an installation token for the one repository and
hands it to the runner holding the lease; the clone
and the push authenticate with it as a per-command header, so the working
tree - which the sandbox mounts - never holds it.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from bzzz.errors import ConfigError
from bzzz.tasks.lifecycle import Lifecycle
from runner.credentials import REFRESH_MARGIN, Credentials
from runner.errors import TokenRefusedError
from runner.git.publish import branch_name, publish_branch
from runner.git.workspace import GitError, Workspace, repository_info
from tests.fixtures.control_plane import ControlPlane

KEY = "acme/calc#1"


def _holding_the_lease(control_plane: ControlPlane, agent: str) -> Credentials:
    """A runner's credentials, registered and holding the lease of acme/calc#1."""
    signer = control_plane.runner_key(agent)
    lifecycle = Lifecycle(control_plane.settings)
    lifecycle.create("acme/calc", 1, "sum_to(n) leaves out n")
    lifecycle.claim(KEY, agent)
    api_url = control_plane.settings.github_api_url
    return Credentials(api_url, control_plane_url=control_plane.url, signer=signer)


def test_the_control_plane_vends_a_token_for_the_one_repository_never_written_to_git(
    github, control_plane, tmp_path
):
    credentials = _holding_the_lease(control_plane, "runner-a")
    assert credentials.check().startswith(f"the control plane at {control_plane.url}")
    token = credentials.token_for(KEY)
    assert token.scoped and token.value.startswith("ghs_")
    assert token.value not in repr(token)
    clone_url, base = repository_info(github.base_url, token)
    assert (clone_url, base) == (f"{github.base_url}/acme/calc.git", "main")

    workspace = Workspace(tmp_path, "calc", token)
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
    # The real git directory is outside the work tree; the tree's .git is a throwaway copy.
    assert not workspace.git_dir.is_relative_to(workspace.path)
    assert (workspace.git_dir / "config").read_text().count(github.base_url) == 1
    found = subprocess.run(
        ["grep", "-rlF", token.value, str(workspace.git_dir)], capture_output=True, text=True
    )
    assert found.returncode == 1 and found.stdout == ""
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
    opened = api.open_draft_pull("acme/calc", branch, base, "Fix sum_to (#1)", "Fixes #1")
    pull = github.client("alice").rest.pulls.get("acme", "calc", opened.number).json()
    assert (pull["user"]["login"], pull["draft"], pull["html_url"]) == (
        "bzzz[bot]", True, opened.url,
    )  # fmt: skip


def test_the_token_is_asked_again_before_it_expires_and_not_after_the_lease(github, control_plane):
    signer = control_plane.runner_key("runner-a")
    lifecycle = Lifecycle(control_plane.settings)
    lifecycle.create("acme/calc", 1, "sum_to(n) leaves out n")
    lifecycle.claim(KEY, "runner-a")
    now = [time.time()]
    credentials = Credentials(
        control_plane.settings.github_api_url,
        control_plane_url=control_plane.url,
        signer=signer,
        clock=lambda: now[0],
    )
    token = credentials.token_for(KEY)
    first = token.value
    assert token.value == first  # an hour left: no new request
    assert token.expires_at is not None
    now[0] = token.expires_at - REFRESH_MARGIN + 1  # inside the margin: asked again
    renewed = token.value
    assert renewed != first and renewed.startswith("ghs_")
    now[0] = time.time()
    assert token.value == renewed  # back to the present: the new one has its hour
    # Once the lease is gone (released), asking again is refused.
    Lifecycle(control_plane.settings).release(KEY, "runner-a", "test")
    with pytest.raises(TokenRefusedError) as refused:
        credentials.token_for(KEY)
    assert refused.value.status == 403


def test_without_the_token_git_cannot_push_and_the_error_hides_the_token(github, tmp_path):
    token = Credentials(github.base_url, dev_token="ghp_mallory_demo_token")
    repo_token = token.token_for(KEY)
    workspace = Workspace(tmp_path, "calc", repo_token)
    workspace.clone(*repository_info(github.base_url, repo_token))
    (workspace.path / "x.txt").write_text("x\n")
    with pytest.raises(GitError) as refused:
        publish_branch(workspace, "bzzz/1-x", "read-only users cannot push")
    assert "ghp_mallory_demo_token" not in str(refused.value)


def test_no_credential_at_all_is_a_config_error(github):
    with pytest.raises(ConfigError, match="BZZZ_CONTROL_PLANE_URL"):
        Credentials(github.base_url).check()


def _bot_workspace(github, tmp_path, name: str = "calc") -> Workspace:
    repo_token = Credentials(github.base_url, dev_token=github.tokens["alice"]).token_for(KEY)
    workspace = Workspace(tmp_path, name, repo_token)
    workspace.clone(*repository_info(github.base_url, repo_token))
    return workspace


def _tip(github, branch: str) -> str:
    out = subprocess.run(
        ["git", "ls-remote", github.git_url("acme/calc"), f"refs/heads/{branch}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return out.split("\t", 1)[0]


def test_the_bot_never_pushes_to_the_default_branch(github, tmp_path):
    workspace = _bot_workspace(github, tmp_path)
    before = _tip(github, "main")
    (workspace.path / "x.txt").write_text("x\n")
    with pytest.raises(GitError, match="refusing to push"):
        publish_branch(workspace, "main", "onto main")
    assert _tip(github, "main") == before


def test_the_bot_replaces_its_own_branch_but_never_someone_elses(github, tmp_path):
    first = _bot_workspace(github, tmp_path, "first")
    (first.path / "x.txt").write_text("first attempt\n")
    assert publish_branch(first, "bzzz/1-x", "attempt 1")
    second = _bot_workspace(github, tmp_path, "second")
    (second.path / "x.txt").write_text("second attempt\n")
    assert publish_branch(second, "bzzz/1-x", "attempt 2")  # its own earlier branch: replaced
    assert _tip(github, "bzzz/1-x") == second.git("rev-parse", "HEAD").strip()

    # A maintainer commits on top of the bot's branch; the next attempt must not erase it.
    human = tmp_path / "human"
    url = github.git_url("acme/calc", github.tokens["bob"])
    subprocess.run(["git", "clone", "-q", "-b", "bzzz/1-x", url, str(human)], check=True)
    (human / "x.txt").write_text("fixed by hand\n")
    who = ["-c", "user.name=Bob", "-c", "user.email=bob@example.com"]
    subprocess.run(["git", "-C", str(human), *who, "commit", "-qam", "by hand"], check=True)
    subprocess.run(["git", "-C", str(human), "push", "-q", "origin", "bzzz/1-x"], check=True)
    theirs = _tip(github, "bzzz/1-x")
    third = _bot_workspace(github, tmp_path, "third")
    (third.path / "x.txt").write_text("third attempt\n")
    with pytest.raises(GitError, match="not the bot's"):
        publish_branch(third, "bzzz/1-x", "attempt 3")
    assert _tip(github, "bzzz/1-x") == theirs


def test_the_kept_diff_is_read_in_chunks_and_cut_at_its_cap(github, tmp_path):
    from runner.worker.trajectory import Trajectory

    workspace = _bot_workspace(github, tmp_path)
    (workspace.path / "big.txt").write_text("a line of the agent's output\n" * 200_000)  # 5.8 MB
    (workspace.path / "calc.py").write_text("changed\n")
    diff, truncated = workspace.diff(limit=4096)
    assert truncated and len(diff.encode()) <= 4096 and diff.startswith("diff --git")
    whole, cut = workspace.diff(limit=10_000_000)
    assert not cut and "+changed" in whole and "big.txt" in whole

    trajectory = Trajectory(tmp_path, "acme/calc#1", 1)
    trajectory.keep_diff(workspace)
    kept = [e for e in trajectory.events() if e["event"] == "final_diff"]
    assert kept[0]["truncated"] is True and len(kept[0]["diff"]) <= 1_000_000


def test_the_diff_stat_of_the_pushed_commit_reads_every_path_verbatim(github, tmp_path):
    workspace = _bot_workspace(github, tmp_path)
    before = workspace.git("show", f"{workspace.base}:calc.py").count("\n")
    (workspace.path / "calc.py").write_text("def sum_to(n):\n    return n * (n + 1) // 2\n")
    (workspace.path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x01\x02")
    hostile = "odd\tname\nwith \x1b[31mescape.txt"
    (workspace.path / hostile).write_text("one\ntwo\nthree\n")
    assert publish_branch(workspace, "bzzz/1-stat", "a change with odd paths")
    stat = sorted(workspace.diffstat("HEAD"))
    assert stat == [("calc.py", 2, before), ("logo.png", None, None), (hostile, 3, 0)]
    # The same as git's own count, read by the host from its git directory alone.
    shortstat = workspace.git("diff", "--shortstat", workspace.base, "HEAD")
    assert f"{2 + 3} insertions(+), {before} deletion" in shortstat
    assert workspace.diffstat(workspace.base) == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/info/refs", 502),
        ("POST", "/git-upload-pack", 503),
        ("POST", "/git-receive-pack", 429),
    ],
    ids=["clone-refs-502", "clone-pack-503", "push-429"],
)
def test_a_failing_remote_is_tried_again_for_clone_and_push(
    github, control_plane, tmp_path, monkeypatch, method, path, status
):
    from runner.git import host_git
    from tests.events.receivers import FlakyProxy, serve

    monkeypatch.setattr(host_git, "NETWORK_WAITS", (0.1, 0.1, 0.1))
    credentials = _holding_the_lease(control_plane, "runner-a")
    token = credentials.token_for(KEY)
    proxy = FlakyProxy(github.base_url, method, path, failures=1, status=status)
    served = serve(proxy)
    try:
        workspace = Workspace(tmp_path, "calc", token)
        workspace.clone(f"{proxy.url}/acme/calc.git", "main")
        (workspace.path / "calc.py").write_text("def sum_to(n):\n    return n * (n + 1) // 2\n")
        assert publish_branch(workspace, "bzzz/1-fix", "Fix sum_to (#1)")
    finally:
        served.stop()
    assert proxy.failed == 1
    heads = subprocess.run(
        ["git", "ls-remote", "--heads", github.git_url("acme/calc")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "refs/heads/bzzz/1-fix" in heads


def test_a_remote_that_refuses_for_good_is_not_tried_again(github, control_plane, tmp_path):
    from tests.events.receivers import FlakyProxy, serve

    credentials = _holding_the_lease(control_plane, "runner-a")
    proxy = FlakyProxy(github.base_url, "GET", "/info/refs", failures=5, status=403)
    served = serve(proxy)
    try:
        workspace = Workspace(tmp_path, "calc", credentials.token_for(KEY))
        with pytest.raises(GitError, match="403"):
            workspace.clone(f"{proxy.url}/acme/calc.git", "main")
    finally:
        served.stop()
    assert proxy.failed == 1


def test_the_repository_lookup_is_retried_through_a_github_blip(github):
    """A 5xx (or a timeout) on the lookup before the clone is retried like every GitHub
    call; it once ended the task as failed for good."""
    from bzzz.errors import GitHubError
    from bzzz.github.client import Retries
    from tests.events.receivers import FlakyProxy, serve

    repo_token = Credentials(github.base_url, dev_token=github.tokens["alice"]).token_for(KEY)
    proxy = FlakyProxy(upstream=github.base_url, method="GET", path_contains="/repos/", failures=2)
    served = serve(proxy)
    try:
        fast = Retries(attempts=3, first_wait=0.01)
        assert repository_info(proxy.url, repo_token, fast)[1] == "main"
        assert proxy.failed == 2
        proxy.failed, proxy.failures = 0, 3
        with pytest.raises(GitHubError, match="repository acme/calc"):
            repository_info(proxy.url, repo_token, fast)
    finally:
        served.stop()
