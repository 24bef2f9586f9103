"""The bus: AWS::SNS::Topic, AWS::SQS::Queue, AWS::SNS::Subscription, AWS::SQS::QueuePolicy.

Each creator is idempotent: it creates with the attributes that cannot change
later (FIFO-ness) and then sets the rest, so a second run converges instead
of failing with "already exists with different attributes".
"""

from __future__ import annotations

import json
from typing import Any

from infra.local_backend.errors import ProvisionError

# CloudFormation property -> SQS attribute (same spelling) that may be set after creation.
_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
)
_TOPIC_ATTRIBUTES = ("ContentBasedDeduplication", "DisplayName", "KmsMasterKeyId")


def _text(value: Any) -> str:
    """SQS/SNS attributes are strings; booleans are lower case, documents are JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def create_topic(
    client: Any, logical_id: str, props: dict[str, Any], default_name: str
) -> tuple[str, dict[str, str]]:
    fifo = _is_true(props.get("FifoTopic", False))
    name = props.get("TopicName") or (f"{default_name}.fifo" if fifo else default_name)
    created = {"FifoTopic": "true"} if fifo else {}
    arn: str = client.create_topic(Name=name, Attributes=created)["TopicArn"]
    for key in _TOPIC_ATTRIBUTES:
        if key in props:
            client.set_topic_attributes(
                TopicArn=arn, AttributeName=key, AttributeValue=_text(props[key])
            )
    for inline in props.get("Subscription") or []:
        client.subscribe(TopicArn=arn, Protocol=inline["Protocol"], Endpoint=inline["Endpoint"])
    return arn, {"TopicArn": arn, "TopicName": name}


def create_queue(
    client: Any, logical_id: str, props: dict[str, Any], default_name: str
) -> tuple[str, dict[str, str]]:
    fifo = _is_true(props.get("FifoQueue", False))
    name = props.get("QueueName") or (f"{default_name}.fifo" if fifo else default_name)
    created = {"FifoQueue": "true"} if fifo else {}
    url: str = client.create_queue(QueueName=name, Attributes=created)["QueueUrl"]
    attributes = {key: _text(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            policy = dict(props[key])
            if "maxReceiveCount" in policy:
                # A Ref to a Number parameter arrives as text; SQS wants a number.
                policy["maxReceiveCount"] = int(policy["maxReceiveCount"])
            attributes[key] = _text(policy)
    if attributes:
        client.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    arn: str = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, {"Arn": arn, "QueueName": name, "QueueUrl": url}


def create_subscription(
    client: Any, logical_id: str, props: dict[str, Any], default_name: str
) -> tuple[str, dict[str, str]]:
    protocol = props["Protocol"]
    if protocol != "sqs":
        raise ProvisionError(
            logical_id,
            f"protocol {protocol!r}: only sqs subscriptions are provisioned locally "
            "(the local supervisor drives the others)",
        )
    # SNS returns the existing subscription for the same topic, protocol and endpoint.
    arn: str = client.subscribe(
        TopicArn=props["TopicArn"],
        Protocol=protocol,
        Endpoint=props["Endpoint"],
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    # FilterPolicy before FilterPolicyScope: SNS refuses a scope without a policy.
    for key in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy"):
        if key in props:
            client.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName=key, AttributeValue=_text(props[key])
            )
    return arn, {}


def apply_queue_policy(
    client: Any, logical_id: str, props: dict[str, Any], default_name: str
) -> tuple[str, dict[str, str]]:
    document = _text(props["PolicyDocument"])
    for url in props["Queues"]:
        client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": document})
    return default_name, {}
