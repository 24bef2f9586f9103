"""What a provisioned stack looks like right now: tables, topic, queues, subscriptions.

Read from the stack's environment (the BZZZ_* variables), so it works on a
stack this process did not create: a detached `bzzz local up`, or LocalStack.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bzzz.config import QUEUES
from infra.local_backend.clients import Clients
from infra.local_backend.errors import LocalBackendError

_TABLE_VARIABLES = (
    "BZZZ_TASKS_TABLE",
    "BZZZ_AGENTS_TABLE",
    "BZZZ_DELIVERIES_TABLE",
    "BZZZ_REPOS_TABLE",
    "BZZZ_THREADS_TABLE",
    "BZZZ_AUDIT_TABLE",
)


def health(env: Mapping[str, str]) -> dict[str, Any]:
    """A JSON-able report; raises LocalBackendError when a resource is missing or unreachable."""
    clients = Clients(env)
    try:
        return {
            "tables": [_table(clients, env[variable]) for variable in _TABLE_VARIABLES],
            "topic": _topic(clients, env["BZZZ_TOPIC_ARN"]),
            "queues": [_queue(clients, name, env[variable]) for name, variable in QUEUES.items()],
        }
    except KeyError as exc:
        raise LocalBackendError(f"environment lacks {exc.args[0]}") from None
    except LocalBackendError:
        raise
    except Exception as exc:  # botocore: unreachable endpoint, missing resource
        raise LocalBackendError(f"local stack is not healthy: {exc}") from exc


def _table(clients: Clients, name: str) -> dict[str, Any]:
    table = clients.dynamodb.describe_table(TableName=name)["Table"]
    # DescribeTable's ItemCount is refreshed only every few hours on AWS; count instead.
    count = 0
    pages = clients.dynamodb.get_paginator("scan").paginate(TableName=name, Select="COUNT")
    for page in pages:
        count += page["Count"]
    ttl = clients.dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return {
        "name": name,
        "status": table["TableStatus"],
        "items": count,
        "indexes": [index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])],
        "ttl": ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
    }


def _topic(clients: Clients, arn: str) -> dict[str, Any]:
    attributes = clients.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    subscriptions = []
    listed = clients.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    for subscription in listed:
        details = clients.sns.get_subscription_attributes(
            SubscriptionArn=subscription["SubscriptionArn"]
        )["Attributes"]
        subscriptions.append(
            {
                "endpoint": subscription["Endpoint"].rsplit(":", 1)[-1],
                "protocol": subscription["Protocol"],
                "raw": details.get("RawMessageDelivery") == "true",
                "filter": json.loads(details["FilterPolicy"])
                if "FilterPolicy" in details
                else None,
            }
        )
    return {
        "arn": arn,
        "fifo": attributes.get("FifoTopic") == "true",
        "subscriptions": subscriptions,
    }


def _queue(clients: Clients, name: str, url: str) -> dict[str, Any]:
    attributes = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
    report: dict[str, Any] = {"name": name, "url": url, **_counts(attributes), "dlq": None}
    if "RedrivePolicy" in attributes:
        redrive = json.loads(attributes["RedrivePolicy"])
        dlq_name = redrive["deadLetterTargetArn"].rsplit(":", 1)[-1]
        dlq_url = clients.sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
        dlq = clients.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])
        report["dlq"] = {
            "name": dlq_name,
            "max_receive_count": int(redrive["maxReceiveCount"]),
            **_counts(dlq["Attributes"]),
        }
    return report


def _counts(attributes: Mapping[str, str]) -> dict[str, int]:
    return {
        "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


def format_health(report: Mapping[str, Any]) -> str:
    """The report as lines a person reads at a glance."""
    lines = ["tables:"]
    for table in report["tables"]:
        extras = "".join(
            [
                f", indexes {','.join(table['indexes'])}" if table["indexes"] else "",
                f", ttl on {table['ttl']}" if table["ttl"] else "",
            ]
        )
        lines.append(f"  {table['name']}: {table['status']}, {table['items']} items{extras}")
    topic = report["topic"]
    lines.append(f"topic: {topic['arn']}{' (FIFO)' if topic['fifo'] else ''}")
    for subscription in topic["subscriptions"]:
        raw = "raw" if subscription["raw"] else "wrapped"
        lines.append(
            f"  -> {subscription['endpoint']} ({subscription['protocol']}, {raw}) "
            f"filter {json.dumps(subscription['filter'])}"
        )
    lines.append("queues:")
    for queue in report["queues"]:
        dlq = queue["dlq"]
        tail = (
            f"; dlq {dlq['name']} after {dlq['max_receive_count']} receives: "
            f"{dlq['visible']} messages"
            if dlq
            else "; no dlq"
        )
        lines.append(
            f"  {queue['name']}: {queue['visible']} visible, {queue['in_flight']} in flight{tail}"
        )
    return "\n".join(lines)
