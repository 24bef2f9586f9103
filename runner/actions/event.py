"""What the workflow's event asks of this job: a summons to create, a task to take, or nothing.

    issues: labeled          -> Summons: the intake decides (summon label, writer, create)
    repository_dispatch      -> Dispatched: the control plane created the task and sent
      (type bzzz-task)          `client_payload.task`; this job only claims it
    anything else            -> Ignored, with the reason

The payload is the sender's: only its shape is trusted after it is checked, and a
dispatched key must name this job's own repository.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bzzz.actions_dispatch import DISPATCH_EVENT_TYPE
from bzzz.errors import InputError
from bzzz.tasks.keys import parse_task_key, task_key

MAX_EVENT_BYTES = 25 * 1024 * 1024  # GitHub's payload cap


@dataclass(frozen=True)
class Summons:
    payload: dict[str, Any]
    key: str


@dataclass(frozen=True)
class Dispatched:
    key: str


@dataclass(frozen=True)
class Ignored:
    reason: str


JobEvent = Summons | Dispatched | Ignored


def read_event(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise InputError("GITHUB_EVENT_PATH", f"cannot be read: {exc.strerror}") from exc
    if len(raw) > MAX_EVENT_BYTES:
        raise InputError("GITHUB_EVENT_PATH", "larger than GitHub's payload limit")
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("GITHUB_EVENT_PATH", f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InputError("GITHUB_EVENT_PATH", "must hold a JSON object")
    return payload


def job_event(event_name: str, payload: dict[str, Any], repository: str) -> JobEvent:
    """Classify the event; InputError names the field when its shape is wrong."""
    if event_name == "issues":
        if payload.get("action") != "labeled":
            return Ignored(f"issues.{payload.get('action')} needs no job (only labeled does)")
        issue = payload.get("issue")
        number = issue.get("number") if isinstance(issue, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise InputError("issue.number", f"must be a positive integer, got {number!r}")
        repository_field = payload.get("repository")
        named = repository_field.get("full_name") if isinstance(repository_field, dict) else None
        if not isinstance(named, str) or named.lower() != repository.lower():
            raise InputError(
                "repository.full_name", f"{named!r} is not this workflow's repository {repository}"
            )
        return Summons(payload, task_key(repository, number))
    if event_name == "repository_dispatch":
        if payload.get("action") != DISPATCH_EVENT_TYPE:
            return Ignored(f"repository_dispatch of type {payload.get('action')!r}, not bzzz-task")
        client = payload.get("client_payload")
        key = client.get("task") if isinstance(client, dict) else None
        if not isinstance(key, str):
            raise InputError("client_payload.task", "missing: the task key owner/repo#number")
        repo, _ = parse_task_key(key)
        if repo.lower() != repository.lower():
            raise InputError(
                "client_payload.task", f"names {repo}, not this workflow's repository {repository}"
            )
        return Dispatched(key)
    return Ignored(f"{event_name} events need no Bzzz job")
