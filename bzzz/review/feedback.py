"""Feedback waiting on a task's pull request, kept on the task item until its round starts.

Each writer's review, line comment or mention adds its `kind:id` to the task's
`feedback` set and moves `feedback_last_at` on, in one conditional update: a
burst of deliveries (a review with ten line comments is eleven) lands in one
set, and a replayed delivery adds nothing new. Not a transition (no version,
no message): the round itself starts with the `revise` rule (bzzz.review.rounds),
whose write takes the set off the task. Nothing of the feedback's text is
stored: the runner reads it from GitHub, writers only, hidden text stripped,
as it reads the issue.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bzzz.config import Settings
from bzzz.store.conditions import condition_failed
from bzzz.store.models import Task
from bzzz.tasks.rules import FEEDBACK_ATTRIBUTES


class Feedback:
    def __init__(self, settings: Settings, dynamodb: Any) -> None:
        self._settings = settings
        self._db = dynamodb

    def task_of_pull(self, repo: str, pr_url: str) -> Task | None:
        """The task whose pull request this is (its `pr_url`), or None: not an agent's."""
        query: dict[str, Any] = {
            "TableName": self._settings.tasks_table,
            "IndexName": "by-repo",
            "KeyConditionExpression": "#repo = :repo",
            "FilterExpression": "#pr_url = :url",
            "ExpressionAttributeNames": {"#repo": "repo", "#pr_url": "pr_url"},
            "ExpressionAttributeValues": {":repo": {"S": repo}, ":url": {"S": pr_url}},
        }
        while True:
            reply = self._db.query(**query)
            if reply.get("Items"):
                key = reply["Items"][0]["key"]["S"]
                # The index is eventually consistent: read the task itself.
                found = self._db.get_item(
                    TableName=self._settings.tasks_table,
                    Key={"key": {"S": key}},
                    ConsistentRead=True,
                ).get("Item")
                return Task.from_raw_data(found) if found else None
            if "LastEvaluatedKey" not in reply:
                return None
            query["ExclusiveStartKey"] = reply["LastEvaluatedKey"]

    def add(self, key: str, item: str, now: float) -> bool:
        """Add one piece of feedback (`kind:id`); False once the pull request is closed, or
        when this piece was taken before."""
        try:
            self._db.update_item(
                TableName=self._settings.tasks_table,
                Key={"key": {"S": key}},
                # `feedback_seen` outlives the round: the reconcile poll adds nothing twice.
                UpdateExpression=(
                    "ADD feedback :item, feedback_seen :item SET feedback_last_at = :now, "
                    "feedback_first_at = if_not_exists(feedback_first_at, :now)"
                ),
                # Never the same piece twice: a round it started may be over already.
                ConditionExpression=(
                    "attribute_exists(pr_url) AND attribute_not_exists(pr_closed) AND "
                    "(attribute_not_exists(feedback_seen) OR NOT contains(feedback_seen, :ref))"
                ),
                ExpressionAttributeValues={
                    ":item": {"SS": [item]},
                    ":ref": {"S": item},
                    ":now": {"N": str(now)},
                },
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True

    def remember_seen(self, key: str, updated_at: str) -> None:
        """The pull request's settled `updated_at` as the reconcile poll last read its
        feedback (bzzz.review.catch_up)."""
        self._db.update_item(
            TableName=self._settings.tasks_table,
            Key={"key": {"S": key}},
            UpdateExpression="SET review_updated_at = :updated",
            ConditionExpression="attribute_exists(pr_url)",
            ExpressionAttributeValues={":updated": {"S": updated_at}},
        )

    def close(self, key: str, now: float) -> None:
        """The pull request was merged or closed: drop what waits, and take no more."""
        self._db.update_item(
            TableName=self._settings.tasks_table,
            Key={"key": {"S": key}},
            UpdateExpression=f"SET pr_closed = :now REMOVE {', '.join(FEEDBACK_ATTRIBUTES)}",
            ConditionExpression="attribute_exists(pr_url)",
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )

    def discard(self, key: str, seen_last_at: float) -> bool:
        """Drop waiting feedback that can start no round (no rounds left), unless more came."""
        try:
            self._db.update_item(
                TableName=self._settings.tasks_table,
                Key={"key": {"S": key}},
                UpdateExpression=f"REMOVE {', '.join(FEEDBACK_ATTRIBUTES)}",
                ConditionExpression="feedback_last_at = :seen",
                ExpressionAttributeValues={":seen": {"N": str(seen_last_at)}},
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise
        return True
