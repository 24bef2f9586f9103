"""The control plane's components append to the audit log when a key is configured."""

from __future__ import annotations

from bzzz.audit import CONTROL_PLANE, Signer, verify_stream
from bzzz.audit.wiring import control_plane_listeners
from bzzz.secrets import SecretStore
from bzzz.tasks.lifecycle import Lifecycle


def test_without_a_key_there_is_no_listener(aws_settings):
    assert control_plane_listeners(aws_settings, SecretStore(aws_settings, environ={})) == []


def test_transitions_made_by_the_control_plane_verify(aws_settings):
    signer = Signer.generate(CONTROL_PLANE)
    secrets = SecretStore(aws_settings, environ={"BZZZ_AUDIT_SIGNING_KEY": signer.pem().decode()})
    listeners = control_plane_listeners(aws_settings, secrets)
    assert len(listeners) == 1
    lifecycle = Lifecycle(aws_settings, listeners=listeners)
    task, _ = lifecycle.create("acme/calc", 1, "t")
    lifecycle.claim(task.key, "runner-a")
    lifecycle.cancel(task.key, "label removed")
    report = verify_stream(aws_settings, task.key, secrets=secrets)
    assert report.finding is None
    assert report.entries == 3
