"""Without any container engine on PATH, the error says what to install."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_without_any_engine_the_error_says_what_to_install(monkeypatch, tmp_path: Path):
    from infra.container_engine import EngineNotFoundError
    from infra.container_engine.podman import PodmanService

    monkeypatch.setenv("PATH", str(tmp_path))  # no podman on it
    with pytest.raises(EngineNotFoundError, match="apt-get install podman runc"):
        PodmanService.start(tmp_path / "podman.sock")


def test_without_dockerd_the_error_says_to_install_docker_io(monkeypatch, tmp_path: Path):
    from infra.container_engine import EngineNotFoundError
    from infra.container_engine.dockerd import DockerdService

    monkeypatch.setenv("PATH", str(tmp_path))  # no dockerd on it
    with pytest.raises(EngineNotFoundError, match=r"install Debian's docker\.io"):
        DockerdService.start(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing made before the check
