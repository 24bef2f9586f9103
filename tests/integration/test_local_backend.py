"""The local backend creates exactly template.yaml's resources, on real servers.

Expectations are computed from template.yaml itself (parsed with our loader,
names resolved for the test's stack), then compared with what the servers
report — so a template change that the provisioner ignores fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.local_backend import LocalBackend, ProvisionError, TemplateError, load_template
from infra.local_backend.clients import Clients
from infra.local_backend.intrinsics import Stack, resolve
from tests.fixtures.aws import unique_stack_name

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {i: spec for i, spec in TEMPLATE["Resources"].items() if spec["Type"] == kind}


def names(stack_name: str, kind: str, prop: str) -> dict[str, str]:
    """Logical id -> resolved physical name, for the resources of `kind`."""
    stack = Stack(name=stack_name, region="us-east-1")
    return {i: resolve(spec["Properties"][prop], stack) for i, spec in of_type(kind).items()}


def test_tables_are_exactly_the_templates(dynamodb_backend: LocalBackend):
    stack_name = unique_stack_name()
    env = dynamodb_backend.provision(stack_name)
    dynamodb = Clients(env).dynamodb
    expected = names(stack_name, "AWS::DynamoDB::Table", "TableName")
    if dynamodb_backend.dynamodb == "dynamodb-local" and dynamodb_backend.servers:
        # The tables really are on DynamoDB Local, whose ARNs name the region "ddblocal".
        assert env["AWS_ENDPOINT_URL_DYNAMODB"] == dynamodb_backend.servers[1].url
        arn = dynamodb.describe_table(TableName=expected["TasksTable"])["Table"]["TableArn"]
        assert arn.startswith("arn:aws:dynamodb:ddblocal:")
    # Paginate: the session's servers hold every earlier test's stack too.
    pages = dynamodb.get_paginator("list_tables").paginate()
    listed = {t for page in pages for t in page["TableNames"] if t.startswith(stack_name)}
    assert listed == set(expected.values())
    assert {"by-state", "by-repo"} <= {  # anchors the loader: known literal values
        index["IndexName"]
        for index in TEMPLATE["Resources"]["TasksTable"]["Properties"]["GlobalSecondaryIndexes"]
    }
    for logical_id, spec in of_type("AWS::DynamoDB::Table").items():
        props = spec["Properties"]
        table = dynamodb.describe_table(TableName=expected[logical_id])["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert table["KeySchema"] == props["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(
            props["AttributeDefinitions"], key=str
        )
        assert (
            table["BillingModeSummary"]["BillingMode"] == props["BillingMode"] == "PAY_PER_REQUEST"
        )
        indexes = {
            i["IndexName"]: (i["KeySchema"], i["Projection"]["ProjectionType"])
            for i in table.get("GlobalSecondaryIndexes", [])
        }
        assert indexes == {
            i["IndexName"]: (i["KeySchema"], i["Projection"]["ProjectionType"])
            for i in props.get("GlobalSecondaryIndexes", [])
        }
        ttl = dynamodb.describe_time_to_live(TableName=expected[logical_id])[
            "TimeToLiveDescription"
        ]
        if "TimeToLiveSpecification" in props:
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
        else:
            assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_topic_queues_and_subscriptions_are_exactly_the_templates(local_aws: LocalBackend):
    stack_name = unique_stack_name()
    env = local_aws.provision(stack_name)
    clients = Clients(env)
    stack = Stack(name=stack_name, region="us-east-1")
    (topic_spec,) = of_type("AWS::SNS::Topic").values()
    topic_arn = env["BZZZ_TOPIC_ARN"]
    assert topic_arn.endswith(":" + resolve(topic_spec["Properties"]["TopicName"], stack))
    topic = clients.sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert topic["FifoTopic"] == "true"
    assert topic["ContentBasedDeduplication"] == "false"

    queue_names = names(stack_name, "AWS::SQS::Queue", "QueueName")
    listed = clients.sqs.list_queues(QueueNamePrefix=stack_name)["QueueUrls"]
    assert {url.rsplit("/", 1)[-1] for url in listed} == set(queue_names.values())
    arns: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {}
    for logical_id, name in queue_names.items():
        url = clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes[logical_id] = clients.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["All"]
        )["Attributes"]
        arns[logical_id] = attributes[logical_id]["QueueArn"]
    max_receive = int(TEMPLATE["Parameters"]["MaxReceiveCount"]["Default"])
    policy_spec = next(iter(of_type("AWS::SQS::QueuePolicy").values()))["Properties"]
    with_policy = {ref["Ref"] for ref in policy_spec["Queues"]}
    for logical_id, spec in of_type("AWS::SQS::Queue").items():
        props, actual = spec["Properties"], attributes[logical_id]
        assert actual["FifoQueue"] == "true"
        for key in ("VisibilityTimeout", "MessageRetentionPeriod"):
            if key in props:
                assert actual[key] == str(props[key]), (logical_id, key)
        if "RedrivePolicy" in props:
            dlq_id = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert json.loads(actual["RedrivePolicy"]) == {
                "deadLetterTargetArn": arns[dlq_id],
                "maxReceiveCount": max_receive,
            }
        else:
            assert "RedrivePolicy" not in actual
        if logical_id in with_policy:
            statement = json.loads(actual["Policy"])["Statement"][0]
            assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": topic_arn}}
        else:
            assert "Policy" not in actual

    subscriptions = clients.sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    by_endpoint = {s["Endpoint"]: s["SubscriptionArn"] for s in subscriptions}
    declared = of_type("AWS::SNS::Subscription")
    assert len(subscriptions) == len(declared)
    for spec in declared.values():
        props = spec["Properties"]
        queue_arn = arns[props["Endpoint"]["Fn::GetAtt"][0]]
        details = clients.sns.get_subscription_attributes(SubscriptionArn=by_endpoint[queue_arn])[
            "Attributes"
        ]
        assert details["Protocol"] == props["Protocol"] == "sqs"
        assert details["RawMessageDelivery"] == "true"
        assert json.loads(details["FilterPolicy"]) == props["FilterPolicy"]
        assert details["FilterPolicyScope"] == props["FilterPolicyScope"]


def test_provisioning_twice_is_idempotent(dynamodb_backend: LocalBackend):
    stack_name = unique_stack_name()
    first = dynamodb_backend.provision_stack(stack_name)
    clients = Clients(first.env)
    clients.sqs.send_message(
        QueueUrl=first.env["BZZZ_WORK_QUEUE_URL"],
        MessageBody="kept",
        MessageGroupId="g",
        MessageDeduplicationId="1",
    )
    clients.dynamodb.put_item(
        TableName=first.env["BZZZ_AGENTS_TABLE"], Item={"agent_id": {"S": "a"}}
    )
    second = dynamodb_backend.provision_stack(stack_name)
    assert second.env == first.env
    assert second.resources == first.resources
    assert (
        len(
            clients.sns.list_subscriptions_by_topic(TopicArn=first.env["BZZZ_TOPIC_ARN"])[
                "Subscriptions"
            ]
        )
        == 3
    )
    attributes = clients.sqs.get_queue_attributes(
        QueueUrl=first.env["BZZZ_WORK_QUEUE_URL"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"  # the queue was not recreated
    assert clients.dynamodb.scan(TableName=first.env["BZZZ_AGENTS_TABLE"])["Count"] == 1


def receive(clients: Clients, url: str, wait: int = 1) -> list[dict[str, Any]]:
    return clients.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, MessageAttributeNames=["All"]
    ).get("Messages", [])


def publish(clients: Clients, topic_arn: str, message_type: str, body: str) -> None:
    clients.sns.publish(
        TopicArn=topic_arn,
        Message=body,
        MessageGroupId="octo/repo#1",
        MessageDeduplicationId=uuid.uuid4().hex,
        MessageAttributes={"type": {"DataType": "String", "StringValue": message_type}},
    )


def test_sns_fans_out_to_the_queues_whose_filter_matches(aws_env: dict[str, str]):
    clients = Clients(aws_env)
    publish(clients, aws_env["BZZZ_TOPIC_ARN"], "task.available", '{"n": 1}')
    publish(clients, aws_env["BZZZ_TOPIC_ARN"], "hmmm.help", '{"n": 2}')
    work = receive(clients, aws_env["BZZZ_WORK_QUEUE_URL"])
    status = receive(clients, aws_env["BZZZ_STATUS_QUEUE_URL"])
    escalation = receive(clients, aws_env["BZZZ_ESCALATION_QUEUE_URL"])
    # Raw delivery: the body is the published message, not an SNS notification wrapper.
    assert [m["Body"] for m in work] == ['{"n": 1}']
    assert [m["Body"] for m in status] == ['{"n": 1}']
    assert [m["Body"] for m in escalation] == ['{"n": 2}']
    assert work[0]["MessageAttributes"]["type"]["StringValue"] == "task.available"


def test_aws_settings_binds_the_models_to_the_tests_stack(aws_settings):
    from bzzz.store.models import Agent

    Agent(agent_id="a-1", last_seen=1, expires_at=timedelta(hours=1)).save()
    assert Agent.Meta.table_name == aws_settings.agents_table
    assert Agent.get("a-1").last_seen == 1


def test_unknown_resource_types_fail_and_supervised_ones_are_listed(local_aws: LocalBackend):
    template = json.loads(json.dumps(TEMPLATE))
    template["Resources"]["Api"] = {"Type": "AWS::Serverless::HttpApi", "Properties": {}}
    supervised = LocalBackend(dynamodb="moto")
    supervised.template = template
    supervised._base_env = local_aws.base_env
    result = supervised.provision_stack(unique_stack_name())
    # The repository template declares supervised resources of its own (functions, alarms...).
    assert result.supervised["Api"] == "AWS::Serverless::HttpApi"
    assert "Api" not in result.resources
    template["Resources"]["Odd"] = {"Type": "AWS::Glue::Table", "Properties": {}}
    with pytest.raises(TemplateError, match=r"AWS::Glue::Table"):
        supervised.provision_stack(unique_stack_name())


def test_a_changed_table_is_refused_rather_than_silently_kept(local_aws: LocalBackend):
    stack_name = unique_stack_name()
    Clients(local_aws.base_env).dynamodb.create_table(
        TableName=f"{stack_name}-tasks",
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "other", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(ProvisionError, match=r"TasksTable: table .*-tasks exists with key schema"):
        local_aws.provision(stack_name)


def bzzz(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "local", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def alive(pid: int) -> bool:
    return (
        Path(f"/proc/{pid}/cmdline").exists()
        and b"moto_server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )


def test_cli_up_detach_status_env_down(tmp_path: Path):
    env = {**os.environ, "BZZZ_STATE_DIR": str(tmp_path)}
    stack_name = unique_stack_name()
    up = bzzz("up", "--detach", "--stack", stack_name, env=env)
    assert up.returncode == 0, up.stderr
    record = json.loads((tmp_path / "local.json").read_text())
    pids = [server["pid"] for server in record["servers"]]
    try:
        assert f"export BZZZ_TASKS_TABLE={stack_name}-tasks" in up.stdout
        if not os.environ.get("AWS_ENDPOINT_URL"):  # against LocalStack nothing is started
            assert [s["name"] for s in record["servers"]] == ["moto"]
            assert all(alive(pid) for pid in pids)
        status = bzzz("status", env=env)
        assert status.returncode == 0, status.stderr
        for table in ("tasks", "agents", "deliveries", "repos", "threads", "audit"):
            assert f"{stack_name}-{table}: ACTIVE, 0 items" in status.stdout
        assert (
            f"work: 0 visible, 0 in flight; dlq {stack_name}-work-dlq.fifo after 5 receives"
            in status.stdout
        )
        assert (
            f'-> {stack_name}-work.fifo (sqs, raw) filter {{"type": ["task.available"]}}'
            in status.stdout
        )
        exported = bzzz("env", env=env)
        assert exported.stdout.splitlines() == [
            line for line in up.stdout.splitlines() if line.startswith("export ")
        ]
    finally:
        down = bzzz("down", env=env)
    assert down.returncode == 0, down.stderr
    assert not any(alive(pid) for pid in pids)
    after = bzzz("status", env=env)
    assert after.returncode == 1
    assert after.stderr.startswith("bzzz local: no detached local stack")
    assert "Traceback" not in after.stderr


def test_cli_reports_a_bad_choice_in_one_line(tmp_path: Path):
    env = {**os.environ, "BZZZ_STATE_DIR": str(tmp_path), "BZZZ_LOCAL_DYNAMODB": "cassandra"}
    result = bzzz("up", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "bzzz local: DynamoDB backend 'cassandra' (BZZZ_LOCAL_DYNAMODB): "
        "choose one of ('moto', 'dynamodb-local')"
    ]
