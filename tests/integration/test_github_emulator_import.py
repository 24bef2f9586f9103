"""The GitHub stand-in imports an existing local repository (`import:` in a seed), with real git.

The imported repository is data: its hooks and fsmonitor never run, its
symbolic links stay link objects and are never followed on the host, and only
an in-process seed may name a host path (not one posted over HTTP).
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.github_emulator import GitHubEmulator, RunningEmulator, SeedError, start_in_thread
from tests.fixtures.git_repos import FILLER_MODULES, git, make_package_repo

TOKEN = "ghp_dana_import"


def seed(path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "users": [{"login": "dana", "token": TOKEN}],
        "repos": [
            {
                "name": "local/mylib",
                "collaborators": {"dana": "admin"},
                "import": {"path": str(path), **extra},
            }
        ],
    }


@pytest.fixture
def serve() -> Iterator[Any]:
    running: list[RunningEmulator] = []

    def start(world: dict[str, Any]) -> RunningEmulator:
        running.append(start_in_thread(GitHubEmulator.from_seed(world)))
        return running[-1]

    yield start
    for item in running:
        item.stop()


def clone(emulator: RunningEmulator, where: Path, *extra: str) -> Path:
    host = emulator.base_url.removeprefix("http://")
    url = f"http://x-access-token:{TOKEN}@{host}/local/mylib.git"
    subprocess.run(["git", "clone", "-q", *extra, url, str(where)], check=True, env=git_env())
    return where


def git_env() -> dict[str, str]:
    return {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def test_a_few_hundred_files_with_history_are_served_as_the_repo(serve, tmp_path):
    source = make_package_repo(tmp_path / "src")
    emulator = serve(seed(source))
    work = clone(emulator, tmp_path / "clone")
    assert git(work, "rev-parse", "HEAD") == git(source, "rev-parse", "HEAD")
    assert git(work, "rev-parse", "HEAD^{tree}") == git(source, "rev-parse", "HEAD^{tree}")
    assert len(git(work, "ls-files").splitlines()) > FILLER_MODULES
    assert git(work, "rev-list", "--count", "HEAD").strip() == "5"  # depth 50 > 5 commits
    # The default branch is the source's current branch, on the REST API too.
    info = httpx.get(f"{emulator.base_url}/repos/local/mylib", timeout=10).json()
    assert info["default_branch"] == "trunk"
    assert git(work, "branch", "--show-current").strip() == "trunk"


def test_a_shallow_import_keeps_the_last_commits_and_takes_pushes(serve, tmp_path):
    source = make_package_repo(tmp_path / "src")
    emulator = serve(seed(source, depth=2))
    work = clone(emulator, tmp_path / "clone")
    assert git(work, "rev-list", "--count", "HEAD").strip() == "2"
    # The runner pushes a branch based on the imported head: the shallow repo takes it.
    (work / "mylib" / "new.py").write_text("X = 1\n")
    git(work, "add", "-A")
    git(work, "-c", "user.name=B", "-c", "user.email=b@example.com", "commit", "-qm", "new")
    git(work, "push", "-q", "origin", "HEAD:refs/heads/bzzz/1-fix")
    heads = git(work, "ls-remote", "origin", "refs/heads/bzzz/1-fix")
    assert heads.split()[0] == git(work, "rev-parse", "HEAD").strip()


def test_hooks_fsmonitor_and_links_of_the_source_are_never_run_or_followed(serve, tmp_path):
    source = make_package_repo(tmp_path / "src")
    secret = tmp_path / "host-secret"
    secret.write_text("the runner's key\n")
    os.symlink(secret, source / "leak")
    os.symlink("/etc", source / "etc-dir")
    git(source, "add", "leak", "etc-dir")
    git(source, "commit", "-q", "-m", "links")
    marker = tmp_path / "ran"
    script = f'#!/bin/sh\necho "$0" >> {marker}\n'
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    names = ["post-checkout", "reference-transaction", "pre-receive", "post-update"]
    names += ["pre-push", "post-merge", "fsmonitor-watchman", "pre-auto-gc", "push-to-checkout"]
    for folder in (hooks, source / ".git" / "hooks"):
        for name in names:
            (folder / name).write_text(script)
            (folder / name).chmod(0o755)
    monitor = tmp_path / "monitor.sh"
    monitor.write_text(script)
    monitor.chmod(0o755)
    # The source's own commands would run them now (that is the point): set them last.
    git(source, "config", "core.hooksPath", str(hooks))
    git(source, "config", "core.fsmonitor", str(monitor))
    emulator = serve(seed(source))
    bare = next(iter(emulator.emulator.world.repos.values())).git_dir
    entries = subprocess.run(
        ["git", f"--git-dir={bare}", "ls-tree", "HEAD", "leak", "etc-dir"],
        capture_output=True, text=True, check=True, env=git_env(),
    ).stdout  # fmt: skip
    assert [line.split()[0] for line in entries.splitlines()] == ["120000", "120000"]
    blob = entries.splitlines()[1].split()[2]  # "leak" sorts after "etc-dir"
    shown = subprocess.run(
        ["git", f"--git-dir={bare}", "cat-file", "blob", blob],
        capture_output=True, text=True, check=True, env=git_env(),
    ).stdout  # fmt: skip
    assert shown == str(secret)  # the link's target as data, not the secret's content
    assert not marker.exists(), marker.read_text()
    # Nothing in the stand-in's storage is a link into the host.
    links = [p for p in bare.rglob("*") if stat.S_ISLNK(p.lstat().st_mode)]
    assert links == []


def test_not_a_repository_an_empty_one_and_a_subfolder_are_refused(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SeedError, match="not a git repository"):
        GitHubEmulator.from_seed(seed(plain))
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    with pytest.raises(SeedError, match="empty repository"):
        GitHubEmulator.from_seed(seed(empty))
    source = make_package_repo(tmp_path / "src")
    with pytest.raises(SeedError, match="not a git repository"):
        GitHubEmulator.from_seed(seed(source / "mylib"))  # never the enclosing repository
    with pytest.raises(SeedError, match="names no commit"):
        GitHubEmulator.from_seed(seed(source, ref="no-such-branch"))
    with pytest.raises(SeedError, match="not a branch"):
        GitHubEmulator.from_seed(seed(source, ref="--upload-pack=touch /tmp/x"))
    with pytest.raises(SeedError, match="not a directory"):
        GitHubEmulator.from_seed(seed(tmp_path / "missing"))


def test_a_seed_posted_over_http_may_not_import_a_host_path(serve, tmp_path):
    source = make_package_repo(tmp_path / "src")
    emulator = serve({"users": [{"login": "dana", "token": TOKEN}], "repos": [{"name": "dana/x"}]})
    reply = httpx.post(f"{emulator.base_url}/_emulator/seed", json=seed(source), timeout=10)
    assert reply.status_code == 422
    assert "import" in reply.json()["message"]
    assert httpx.get(f"{emulator.base_url}/repos/dana/x", timeout=10).status_code == 200
