"""The runner's key file: made once with mode 0600, reused, refused when exposed."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from bzzz.audit import AuditKeyError, Signer, load_or_create_key


def test_key_is_created_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "audit.pem"
    first = load_or_create_key(path, "agent-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path, "agent-1").public_key == first.public_key
    assert [p.name for p in path.parent.iterdir()] == ["audit.pem"]  # no temporary left


def test_concurrent_first_starts_agree_on_one_key(tmp_path):
    path = tmp_path / "audit.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load_or_create_key(path, "a").public_key, range(16)))
    assert len(keys) == 1


def test_exposed_key_is_refused(tmp_path):
    path = tmp_path / "audit.pem"
    load_or_create_key(path, "agent-1")
    os.chmod(path, 0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        load_or_create_key(path, "agent-1")


def test_garbage_key_is_refused(tmp_path):
    with pytest.raises(AuditKeyError, match="unreadable"):
        Signer.from_text("agent-1", "not a key")
