"""Which template resource types the local backend creates, and which it leaves to others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.local_backend import buckets, messaging, tables

_Creator = Callable[[Any, str, dict[str, Any], str], tuple[str, dict[str, str]]]

# Type -> (service whose client creates it, creator).
PROVISIONED: dict[str, tuple[str, _Creator]] = {
    "AWS::DynamoDB::Table": ("dynamodb", tables.create_table),
    "AWS::SNS::Topic": ("sns", messaging.create_topic),
    "AWS::SQS::Queue": ("sqs", messaging.create_queue),
    "AWS::SNS::Subscription": ("sns", messaging.create_subscription),
    "AWS::SQS::QueuePolicy": ("sqs", messaging.apply_queue_policy),
    "AWS::S3::Bucket": ("s3", buckets.create_bucket),
}

# Declared in the template but run by the local supervisor (functions, schedules,
# the HTTP API) or meaningless locally (alarms, roles, logs, secrets come from
# the environment). Listed one by one so a new type is a decision, not a default.
SUPERVISED: frozenset[str] = frozenset(
    {
        "AWS::Serverless::Function",
        "AWS::Serverless::HttpApi",
        "AWS::Serverless::Api",
        "AWS::Serverless::LayerVersion",
        "AWS::Lambda::Function",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::Scheduler::Schedule",
        "AWS::Scheduler::ScheduleGroup",
        "AWS::Events::Rule",
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::Logs::LogGroup",
        "AWS::SecretsManager::Secret",
        "AWS::SecretsManager::ResourcePolicy",
        "AWS::SSM::Parameter",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::KMS::Key",
        "AWS::S3::BucketPolicy",
    }
)
