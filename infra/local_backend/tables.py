"""AWS::DynamoDB::Table: create the table as declared, wait until ACTIVE, then enable TTL."""

from __future__ import annotations

import time
from typing import Any

from infra.local_backend.errors import ProvisionError

# Point-in-time recovery, SSE, tags and deletion protection are not applied:
# they change nothing a local test can observe.
_ACTIVE_WAIT_SECONDS = 30.0


def table_request(props: dict[str, Any], default_name: str) -> dict[str, Any]:
    """The CreateTable request for the template's properties."""
    billing = props.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": props.get("TableName") or default_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        request["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = props.get(key)
        if indexes:
            request[key] = [_index(index, billing, key) for index in indexes]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return request


def _throughput(value: dict[str, Any] | None) -> dict[str, int]:
    value = value or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    return {key: int(number) for key, number in value.items()}


def _index(index: dict[str, Any], billing: str, key: str) -> dict[str, Any]:
    shaped = {name: index[name] for name in ("IndexName", "KeySchema", "Projection")}
    if billing == "PROVISIONED" and key == "GlobalSecondaryIndexes":
        shaped["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
    return shaped


def create_table(
    client: Any, logical_id: str, props: dict[str, Any], default_name: str
) -> tuple[str, dict[str, str]]:
    """Create (or find) the table; returns its name and GetAtt attributes."""
    request = table_request(props, default_name)
    name = request["TableName"]
    try:
        client.create_table(**request)
    except client.exceptions.ResourceInUseException:
        # Already there from an earlier run: fine, as long as it is the same table.
        existing = client.describe_table(TableName=name)["Table"]
        if existing["KeySchema"] != request["KeySchema"]:
            raise ProvisionError(
                logical_id,
                f"table {name} exists with key schema {existing['KeySchema']}, "
                f"template declares {request['KeySchema']}; delete it or use another stack name",
            ) from None
    table = _wait_active(client, logical_id, name)
    ttl = props.get("TimeToLiveSpecification") or {}
    if ttl.get("Enabled") in (True, "true", "True"):
        _enable_ttl(client, name, ttl["AttributeName"])
    attributes = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = table["LatestStreamArn"]
    return name, attributes


def _wait_active(client: Any, logical_id: str, name: str) -> dict[str, Any]:
    # boto3's waiter polls every 20 s; local servers are ACTIVE at once or nearly.
    deadline = time.monotonic() + _ACTIVE_WAIT_SECONDS
    while True:
        table: dict[str, Any] = client.describe_table(TableName=name)["Table"]
        if table["TableStatus"] == "ACTIVE":
            return table
        if time.monotonic() > deadline:
            raise ProvisionError(logical_id, f"table {name} is {table['TableStatus']}, not ACTIVE")
        time.sleep(0.1)


def _enable_ttl(client: Any, name: str, attribute: str) -> None:
    # UpdateTimeToLive refuses to enable TTL twice, so look first (idempotency).
    current = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return
    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
    )
