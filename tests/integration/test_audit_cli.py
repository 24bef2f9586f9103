"""`bzzz audit` as a subprocess against a local stack: output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bzzz import aws
from bzzz.audit import AuditLog, Signer, publish_public_key

BZZZ = str(Path(sys.executable).with_name("bzzz"))


def bzzz(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BZZZ, "audit", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def stack(aws_environ, aws_settings):
    control, runner = Signer.generate("control-plane"), Signer.generate("agent-1")
    publish_public_key(aws_settings, runner)
    env = {**os.environ, "BZZZ_AUDIT_SIGNING_KEY": control.pem().decode()}
    for key in ("octo/cli#1", "octo/cli#2"):
        AuditLog(aws_settings, control).append(key, "task.create", {"state": "queued"})
        claim = {"state": "claimed", "attempt": 1, "lease_owner": "agent-1"}
        AuditLog(aws_settings, runner).append(key, "task.claim", claim)
        AuditLog(aws_settings, runner).append(
            key, "command.run", {"command": "make test", "exit_code": 2, "output": "é\nok"}
        )
    return env, aws_settings


def test_show_prints_the_stream_readably(stack):
    env, _ = stack
    result = bzzz(env, "show", "octo/cli#1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["seq", "time", "(UTC)", "author", "type", "hash", "data"]
    assert lines[1].split()[3:5] == ["control-plane", "task.create"]
    assert "command=make test exit_code=2 output=é\\nok" in lines[3]
    assert "control-plane key: from signing secret (pinned)" in result.stdout
    assert lines[-1].startswith("ok   octo/cli#1: 3 entries")


def test_verify_exit_codes(stack):
    env, settings = stack
    assert bzzz(env, "verify", "octo/cli#1").returncode == 0
    everything = bzzz(env, "verify", "--all")
    assert everything.returncode == 0, everything.stdout
    assert "3 of 3 streams verify" in everything.stdout  # two tasks and bzzz:keys

    aws.client("dynamodb", settings).update_item(
        TableName=settings.audit_table,
        Key={"stream": {"S": "octo/cli#2"}, "seq": {"N": "3"}},
        UpdateExpression="SET #d = :d",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={
            ":d": {"S": json.dumps({"command": "make test", "exit_code": 0})}
        },
    )
    bad = bzzz(env, "verify", "octo/cli#2")
    assert bad.returncode == 1
    assert "BAD  octo/cli#2 seq 3: changed: content does not match its hash" in bad.stdout
    everything = bzzz(env, "verify", "--all")
    assert everything.returncode == 1
    assert "ok   octo/cli#1: 3 entries" in everything.stdout
    assert "BAD  octo/cli#2 seq 3: changed" in everything.stdout
    assert "2 of 3 streams verify" in everything.stdout

    empty = bzzz(env, "verify", "octo/cli#404")
    assert (empty.returncode, empty.stdout.strip()) == (
        1,
        "octo/cli#404: no entries (deleted, or never written)",
    )


def test_without_the_secret_the_control_plane_entries_have_no_key(stack):
    env, _ = stack
    env = {k: v for k, v in env.items() if k != "BZZZ_AUDIT_SIGNING_KEY"}
    result = bzzz(env, "verify", "octo/cli#1")
    assert result.returncode == 1
    assert "control-plane key: from nowhere" in result.stdout
    assert "seq 1: unknown key: author 'control-plane'" in result.stdout


def test_the_control_plane_key_pinned_at_deploy_checks_its_entries(stack):
    env, _ = stack
    public = bzzz(env, "keygen").stderr  # what the operator saw when making the key
    control = env.pop("BZZZ_AUDIT_SIGNING_KEY")
    pinned = Signer.from_text("control-plane", control).public_key
    result = bzzz({**env, "BZZZ_AUDIT_PUBLIC_KEY": pinned}, "verify", "octo/cli#1")
    assert result.returncode == 0, result.stdout
    assert "control-plane key: from BZZZ_AUDIT_PUBLIC_KEY (pinned)" in result.stdout
    # A published key that is not the secret's is a configuration error, not a verdict.
    other = public.split("public key: ")[1].strip()
    both = {**env, "BZZZ_AUDIT_SIGNING_KEY": control, "BZZZ_AUDIT_PUBLIC_KEY": other}
    mismatch = bzzz(both, "verify", "octo/cli#1")
    assert mismatch.returncode == 2
    assert "BZZZ_AUDIT_PUBLIC_KEY is not the public key" in mismatch.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"BZZZ_AUDIT_TABLE": ""}, "bzzz audit: BZZZ_AUDIT_TABLE: missing"),
        ({"BZZZ_AUDIT_SIGNING_KEY": "garbage"}, "bzzz audit: the signing key of control-plane"),
        ({"BZZZ_AUDIT_PUBLIC_KEY": "ed25519:short"}, "bzzz audit: BZZZ_AUDIT_PUBLIC_KEY: must be"),
    ],
)
def test_configuration_errors_are_one_line_and_exit_2(stack, change, message):
    env, _ = stack
    result = bzzz({**env, **change}, "verify", "--all")
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
