"""What a writer approved: the issue's title and body when they summoned an agent.

Time of check to time of use: a writer labels an issue written by someone
else, and the author rewrites it before an agent reads it. So the task keeps
the digest of the text the writer saw (`Task.approved_digest`, from the
delivery's own payload), and the runner refuses to brief an agent on any other
text (runner.worker.brief). A writer approves new text by editing the issue
themselves, by `/bzzz retry`, or by removing and adding the label again; an
edit by anyone else approves nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botocore.exceptions import ClientError

from bzzz.config import Settings
from bzzz.store.conditions import condition_failed
from bzzz.tasks.states import TERMINAL


def issue_digest(title: object, body: object) -> str:
    """sha256 of the issue's title and body exactly as GitHub holds them."""
    text = json.dumps([str(title or ""), str(body or "")], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def payload_digest(issue: Any) -> str:
    """The digest of a webhook payload's `issue` (the text as the sender saw it)."""
    issue = issue if isinstance(issue, dict) else {}
    return issue_digest(issue.get("title"), issue.get("body"))


def approve(settings: Settings, dynamodb: Any, key: str, digest: str, by: str) -> bool:
    """Record `digest` as approved on the task `key` unless it is finished; False if none.

    Not a transition (no new version, no message): it only says which text an
    agent may read, so it is one conditional update of two attributes.
    """
    terminal = {f":t{i}": {"S": s.value} for i, s in enumerate(sorted(TERMINAL))}
    try:
        dynamodb.update_item(
            TableName=settings.tasks_table,
            Key={"key": {"S": key}},
            UpdateExpression="SET approved_digest = :digest, approved_by = :by",
            ConditionExpression=f"attribute_exists(#k) AND NOT #s IN ({', '.join(terminal)})",
            ExpressionAttributeNames={"#k": "key", "#s": "state"},
            ExpressionAttributeValues={
                ":digest": {"S": digest},
                ":by": {"S": by},
                **terminal,
            },
        )
    except ClientError as exc:
        if condition_failed(exc):
            return False
        raise
    return True
