"""Decision records on a real moto S3 and DynamoDB, written by the runner's path and read back.

The runner's end of an attempt (runner.worker.decision.write_decision) runs on a
real trajectory file, a real HMMM thread and a real signed audit stream; the
record is then read with each role's identity and with the admin identity
recovered from K of N shares, and checked against the verified stream.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bzzz import aws
from bzzz.audit import AuditLog, Signer, publish_public_key, verify_stream
from bzzz.audit.store import AuditStore
from bzzz.decisions import (
    BindingError,
    DecisionStore,
    DecryptError,
    check_binding,
    generate_identity,
    load_recipients,
    open_record,
    parse_address,
    recipient_of,
    records_of,
    recover_identity,
    reencrypt,
    split_identity,
)
from bzzz.decisions.crypto import encrypt
from bzzz.decisions.record import MAX_OUTPUT
from bzzz.messages import Envelope, MessageType
from bzzz.threads import record as record_in_thread
from runner.agent.types import Outcome, Step
from runner.worker.decision import write_decision
from runner.worker.trajectory import Trajectory

KEY = "acme/widgets#7"
ADDRESS = "bzzz://acme/widgets/7/1"
# `python -m cli.main` from this checkout: the console script may belong to another one.
ROOT = Path(__file__).resolve().parents[2]
ROLES = ("maintainers", "security", "operators")


@pytest.fixture(scope="module")
def people() -> dict[str, str]:
    """An identity per role, the admin's, and a stranger's."""
    return {name: generate_identity() for name in (*ROLES, "admin", "stranger")}


def recipients_file(path: Path, people: dict[str, str], **override: str) -> Path:
    keys = {role: recipient_of(people[role]) for role in ROLES} | override
    lines = [f"admin: {recipient_of(people['admin'])}", "owners:", "  acme:"]
    lines += [f"    {role}: [{key}]" for role, key in keys.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def stack(aws_settings, tmp_path, people):
    """A stack whose task acme/widgets#7 ran attempt 1 on runner-1 and got its decision record."""
    control, runner = Signer.generate("control-plane"), Signer.generate("runner-1")
    publish_public_key(aws_settings, runner)
    settings = aws_settings.with_overrides(
        audit_public_key=control.public_key,
        decision_recipients=str(recipients_file(tmp_path / "recipients.yml", people)),
    )
    audit = AuditLog(settings, runner)
    AuditLog(settings, control).append(KEY, "task.create", {"state": "queued", "attempt": 1})
    audit.append(KEY, "task.claim", {"state": "claimed", "attempt": 1, "lease_owner": "runner-1"})
    plan = {"round": 1, "text": "1. reproduce 2. fix parse()", "attempt": 1}
    record_in_thread(settings, Envelope(MessageType.HMMM_PLAN, "runner-1", KEY, plan))
    trajectory = Trajectory(tmp_path / "state", KEY, 1)
    trajectory.record("task", brief={"key": KEY}, runner="runner-1")
    flood = "A\x1b[2J" + "A" * 30_000 + "Z" * 30_000  # far too much, and a terminal escape
    for i, (command, code, output) in enumerate([("pytest -q", 1, "1 failed"),
                                                 ("cat big.log", 0, flood)], 1):  # fmt: skip
        trajectory.record("step", step=Step(i, command, code, output, 100 * i, float(i)))
        audit.append(KEY, "command.run", {"command": command, "exit_code": code})
    trajectory.record("outcome", outcome=Outcome("finished", "fixed parse()", tokens=4321))
    trajectory.record("pull_request", url="http://gh/acme/widgets/pull/8", branch="bzzz/7-x",
                      verification="verified fix")  # fmt: skip
    audit.append(KEY, "task.complete", {"state": "completed", "attempt": 1})
    trajectory.record("final_diff", diff="--- a/p.py\n+++ b/p.py\n", truncated=False)
    published = write_decision(
        settings, key=KEY, attempt=1, round_number=0, runner="runner-1", result="completed",
        events=trajectory.events(), note=lambda kind, data: audit.append(KEY, kind, data),
    )  # fmt: skip
    assert published is not None
    return settings, control


def test_every_role_and_the_recovered_admin_read_it_and_nobody_else(stack, people):
    settings, _ = stack
    address = parse_address(ADDRESS)
    for role in ROLES:
        opened = open_record(settings, address, [people[role]])
        assert opened.record.summary == "fixed parse()"
    shares = split_identity(people["admin"], 3, 5)
    admin = recover_identity(shares[1:4], expected_recipient=recipient_of(people["admin"]))
    record = open_record(settings, address, [admin]).record
    assert record.outcome.result == "completed" and record.outcome.pr_url.endswith("/pull/8")
    assert record.plan == "1. reproduce 2. fix parse()"
    assert [m.type for m in record.hmmm] == ["hmmm.plan"]
    assert [(c.command, c.exit_code) for c in record.commands] == [("pytest -q", 1),
                                                                   ("cat big.log", 0)]  # fmt: skip
    big = record.commands[1]
    assert big.truncated and len(big.output) <= MAX_OUTPUT and "output cut" in big.output
    assert big.output.startswith("A\x1b[2JAAA") and big.output.endswith("ZZZZ")
    assert record.tokens == 4321 and record.diff.text.startswith("--- a/p.py")
    with pytest.raises(DecryptError, match="is a recipient"):
        open_record(settings, address, [people["stranger"]])
    with pytest.raises(Exception, match="fewer than the threshold"):
        recover_identity(shares[:2])


def test_the_record_binds_the_tasks_verified_stream(stack, people):
    settings, _ = stack
    opened = open_record(settings, parse_address(ADDRESS), [people["admin"]])
    report = verify_stream(settings, KEY)
    assert report.ok, report.finding
    entries, _ = AuditStore(settings).read(KEY)
    complete = next(e for e in entries if e.type == "task.complete")
    # The record binds the stream as it ended: its last transition included.
    assert (opened.record.audit.seq, opened.record.audit.hash) == (complete.seq, complete.hash)
    assert entries[-1].type == "decision.recorded" and report.head == entries[-1].hash
    binding = check_binding(settings, opened.record, opened.plaintext)
    assert (binding.bound_seq, binding.recorded_seq) == (complete.seq, entries[-1].seq)


def test_a_tampered_ciphertext_is_refused(stack, people):
    settings, _ = stack
    s3, key = aws.client("s3", settings), parse_address(ADDRESS).object_key
    body = bytearray(s3.get_object(Bucket=settings.decisions_bucket, Key=key)["Body"].read())
    body[-40] ^= 0x20
    s3.put_object(Bucket=settings.decisions_bucket, Key=key, Body=bytes(body))
    with pytest.raises(DecryptError, match="altered"):
        open_record(settings, parse_address(ADDRESS), [people["admin"]])


def test_a_record_forged_with_the_public_keys_is_not_bound(stack, people):
    """age lets anyone with the recipients encrypt; the signed digest tells the forgery."""
    settings, _ = stack
    address = parse_address(ADDRESS)
    genuine = open_record(settings, address, [people["admin"]])
    forged = genuine.plaintext.replace(b"fixed parse()", b"nothing to see")
    DecisionStore(settings).put(address, encrypt(forged, [recipient_of(people["admin"])]), [], 0)
    opened = open_record(settings, address, [people["admin"]])
    with pytest.raises(BindingError, match="not the record the runner signed"):
        check_binding(settings, opened.record, opened.plaintext)


def test_rotation_new_readers_after_reencrypt_old_ones_lose_the_current_version(
    stack, people, tmp_path
):
    settings, _ = stack
    address = parse_address(ADDRESS)
    new_security = generate_identity()
    rotated = recipients_file(tmp_path / "rotated.yml", people,
                              security=recipient_of(new_security))  # fmt: skip
    with pytest.raises(DecryptError):
        open_record(settings, address, [new_security])
    reencrypt(settings, address, [people["admin"]], load_recipients(rotated))
    opened = open_record(settings, address, [new_security])
    with pytest.raises(DecryptError):
        open_record(settings, address, [people["security"]])
    check_binding(settings, opened.record, opened.plaintext)  # the same plaintext: still bound
    versions = aws.client("s3", settings).list_object_versions(
        Bucket=settings.decisions_bucket, Prefix=address.object_key
    )["Versions"]
    assert len(versions) == 2  # the bucket is versioned: the old ciphertext is kept (lifecycle)


def test_the_dashboard_sees_that_it_exists_and_for_whom_never_its_content(stack):
    settings, _ = stack
    found = records_of(settings, "acme/widgets", 7)
    assert [str(r.address) for r in found] == [ADDRESS]
    assert found[0].roles == ("maintainers", "operators", "security")
    assert set(found[0].to_json()) == {"address", "roles", "written_at", "size"}
    assert records_of(settings, "acme/widgets", 8) == []
    assert records_of(settings.with_overrides(decisions_bucket=None), "acme/widgets") == []


def test_the_bucket_is_provisioned_as_the_template_declares(aws_settings):
    s3, bucket = aws.client("s3", aws_settings), aws_settings.decisions_bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


def test_the_cli_shows_it_with_recovered_shares_and_lists_roles(stack, people, aws_env):
    settings, control = stack
    env = {**os.environ, **aws_env, "BZZZ_AUDIT_PUBLIC_KEY": control.public_key,
           "BZZZ_DECISION_RECIPIENTS": settings.decision_recipients}  # fmt: skip
    shares = split_identity(people["admin"], 2, 3)

    def bzzz(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli.main", "decisions", *args], env=env,
                              input=stdin, text=True, capture_output=True, timeout=120,
                              cwd=ROOT, check=False)  # fmt: skip

    shown = bzzz("show", ADDRESS, "--recover", stdin="\n".join(shares[:2]) + "\n")
    assert shown.returncode == 0, shown.stderr
    assert "fixed parse()" in shown.stdout and "audit: ok" in shown.stderr
    assert "\x1b" not in shown.stdout and "\\x1b[2J" in shown.stdout  # no terminal escapes
    listed = bzzz("list", "bzzz://acme")
    assert listed.returncode == 0, listed.stderr
    assert ADDRESS in listed.stdout and "maintainers, operators, security" in listed.stdout
    few = bzzz("show", ADDRESS, "--recover", stdin=shares[0] + "\n")
    assert few.returncode == 2 and "fewer than the threshold" in few.stderr
    assert "Traceback" not in few.stderr and shares[0].split()[0] not in few.stderr
    stranger = Path(settings.decision_recipients).with_name("stranger.txt")
    stranger.write_text(f"# a stranger\n{people['stranger']}\n", encoding="utf-8")
    refused = bzzz("show", ADDRESS, "--identity", str(stranger))
    assert refused.returncode == 2 and "is a recipient" in refused.stderr
