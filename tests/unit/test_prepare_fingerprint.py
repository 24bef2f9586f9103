"""The dependency fingerprint: stable for the same inputs, new for any change, no link followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.prepare.errors import FingerprintError
from runner.prepare.fingerprint import MAX_FILE_BYTES, dependency_files, fingerprint
from runner.prepare.spec import DEFAULT_FINGERPRINT_FILES as DEFAULTS

STEPS = ("pip install -r requirements.txt",)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("requests==2.31\n")
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "app.py").write_text("print('not a dependency file')\n")
    return tmp_path


def test_the_same_inputs_give_the_same_fingerprint(repo: Path):
    first = fingerprint("sha256:base", STEPS, repo, DEFAULTS)
    assert first == fingerprint("sha256:base", STEPS, repo, DEFAULTS)
    assert len(first) == 64


def test_source_files_do_not_count_but_dependency_files_steps_and_image_do(repo: Path):
    before = fingerprint("sha256:base", STEPS, repo, DEFAULTS)
    (repo / "app.py").write_text("print('changed')\n")
    assert fingerprint("sha256:base", STEPS, repo, DEFAULTS) == before
    assert fingerprint("sha256:other", STEPS, repo, DEFAULTS) != before
    assert fingerprint("sha256:base", (*STEPS, "make"), repo, DEFAULTS) != before
    assert fingerprint("sha256:base", STEPS, repo, DEFAULTS, ["offline"]) != before
    (repo / "requirements-dev.txt").write_text("pytest==8\n")
    assert fingerprint("sha256:base", STEPS, repo, DEFAULTS) != before


def test_files_are_found_by_pattern_in_the_root_and_in_a_named_folder(repo: Path):
    (repo / "requirements").mkdir()
    (repo / "requirements" / "base.txt").write_text("attrs\n")
    (repo / "sub").mkdir()
    (repo / "sub" / "requirements.txt").write_text("not at the root\n")
    names = [name for name, _ in dependency_files(repo, DEFAULTS)]
    assert names == [
        "pyproject.toml", "requirements-dev.txt", "requirements.txt", "requirements/base.txt",
    ]  # fmt: skip
    assert [n for n, _ in dependency_files(repo, ("sub/*.txt",))] == ["sub/requirements.txt"]


def test_a_linked_dependency_file_is_not_followed(repo: Path, tmp_path_factory):
    secret = tmp_path_factory.mktemp("host") / "secret"
    secret.write_text("host secret\n")
    (repo / "requirements.txt").unlink()
    os.symlink(secret, repo / "requirements.txt")
    assert "requirements.txt" not in dict(dependency_files(repo, DEFAULTS))
    before = fingerprint("sha256:base", STEPS, repo, DEFAULTS)
    secret.write_text("changed on the host\n")  # never read: the fingerprint cannot see it
    assert fingerprint("sha256:base", STEPS, repo, DEFAULTS) == before


def test_a_linked_folder_is_not_entered(repo: Path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.txt").write_text("host file\n")
    os.symlink(outside, repo / "requirements")
    names = [name for name, _ in dependency_files(repo, DEFAULTS)]
    assert names == ["pyproject.toml", "requirements-dev.txt", "requirements.txt"]


def test_a_fifo_is_left_out_and_a_huge_file_is_an_error_naming_it(repo: Path):
    os.mkfifo(repo / "poetry.lock")  # never opened: listed as not a regular file
    assert "poetry.lock" not in dict(dependency_files(repo, DEFAULTS))
    with (repo / "uv.lock").open("wb") as big:
        big.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(FingerprintError, match=r"`uv\.lock` larger than"):
        dependency_files(repo, DEFAULTS)


def test_a_crowded_root_still_has_its_dependency_files_found(repo: Path):
    for n in range(500):
        (repo / f"module_{n:03}.py").write_text("")
    names = [name for name, _ in dependency_files(repo, DEFAULTS)]
    assert names == ["pyproject.toml", "requirements-dev.txt", "requirements.txt"]
