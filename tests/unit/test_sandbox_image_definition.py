"""The default image's two recipes (debootstrap in build.py, the Dockerfile) stay in step."""

from __future__ import annotations

from runner.sandbox.images import build


def test_both_recipes_install_the_same_packages_and_copy_the_same_files():
    assert {"python3-pip", "python3-setuptools", "python3-venv", "python3-pytest"} <= set(
        build.PACKAGES
    )
    dockerfile = build.DOCKERFILE.read_text()
    for package in build.PACKAGES:
        assert f" {package} " in dockerfile.replace("\\\n", " ")
    for path, (source, _mode) in build._FILES.items():
        assert f"COPY {source.name} /{path}\n" in dockerfile


def test_the_definition_hash_covers_the_copied_files(monkeypatch, tmp_path):
    before = build.definition_hash()
    changed = tmp_path / "pytest"
    changed.write_text("#!/bin/sh\nexec something-else\n")
    files = {**build._FILES, "usr/local/bin/pytest": (changed, 0o755)}
    monkeypatch.setattr(build, "_FILES", files)
    assert build.definition_hash() != before
