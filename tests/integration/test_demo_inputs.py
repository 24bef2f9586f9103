"""`bzzz demo --repo/--issue/--model`: what cannot be used stops before anything starts,
with exit code 2 and one line naming the option; never a traceback. Real git, real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.demo_world import MAX_ISSUE_BYTES, imported_world, repo_name
from tests.fixtures.git_repos import git, make_package_repo

ROOT = Path(__file__).resolve().parents[2]


def demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BZZZ_", "OLLAMA_HOST"))}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "demo", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""  # nothing started
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_package_repo(tmp_path_factory.mktemp("src") / "mylib")


def test_a_path_that_is_not_a_git_repository(tmp_path):
    assert (
        one_line(demo("--repo", str(tmp_path)))
        == f"bzzz demo: --repo {tmp_path}: not a git repository"
    )
    missing = tmp_path / "missing"
    assert one_line(demo("--repo", str(missing))).endswith(f"{missing}: not a directory")


def test_a_folder_inside_a_repository_is_not_the_repository(repo):
    assert one_line(demo("--repo", str(repo / "mylib"))).endswith("not a git repository")


def test_an_empty_repository(tmp_path):
    git(tmp_path, "init", "-q")
    line = one_line(demo("--repo", str(tmp_path)))
    assert line == f"bzzz demo: --repo {tmp_path}: an empty repository (no commits yet)"


def test_an_issue_file_that_cannot_be_read(repo, tmp_path):
    folder = tmp_path / "issue-folder"
    folder.mkdir()
    assert one_line(demo("--repo", str(repo), "--issue", str(folder))).endswith("not a file")
    binary = tmp_path / "issue.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert one_line(demo("--repo", str(repo), "--issue", str(binary))).endswith("not UTF-8 text")
    huge = tmp_path / "huge.md"
    huge.write_text("title\n" + "x" * MAX_ISSUE_BYTES)
    assert f"larger than {MAX_ISSUE_BYTES} bytes" in one_line(
        demo("--repo", str(repo), "--issue", str(huge))
    )
    fifo = tmp_path / "issue.fifo"  # would block a reader: refused, never opened
    os.mkfifo(fifo)
    assert one_line(demo("--repo", str(repo), "--issue", str(fifo))).endswith("not a file")
    blank = tmp_path / "blank.md"
    blank.write_text("\n\n#  \nbody\n")
    assert "title" in one_line(demo("--repo", str(repo), "--issue", str(blank)))


def test_issue_without_repo_and_model_without_an_ollama(repo):
    assert "--issue needs --repo" in one_line(demo("--issue", "text"))
    assert "set OLLAMA_HOST" in one_line(demo("--repo", str(repo), "--model", "m:1b"))
    nothing = {"OLLAMA_HOST": "127.0.0.1:9"}  # the discard port: nothing answers
    line = one_line(demo("--repo", str(repo), "--model", "m:1b", env=nothing))
    assert line == "bzzz demo: --model m:1b: no Ollama answers at OLLAMA_HOST=127.0.0.1:9"


def test_the_issue_is_a_file_or_the_text_itself_and_the_name_is_sanitised(repo, tmp_path):
    issue = tmp_path / "issue.md"
    issue.write_text("## Parser drops the last line\n\nSee `parse()`.\n")
    world = imported_world(repo, str(issue))
    assert (world.title, world.body, world.repo) == (
        "Parser drops the last line",
        "See `parse()`.",
        "local/mylib",
    )
    text = imported_world(repo, "Fix it\nplease")
    assert (text.title, text.body) == ("Fix it", "please")
    assert imported_world(repo, None).title == "Make the test suite pass"
    assert repo_name(Path("/x/My Lib! (copy)")) == "My-Lib-copy"
    assert repo_name(Path("/x/project.git")) == "project"
    assert repo_name(Path("/x/...")) == "repo"
