"""AWS event fixtures in the exact shapes AWS sends, and builders from them.

`sqs_receive_message.json` is `sam local generate-event sqs receive-message`;
`scheduler_reconcile.json` is the input template.yaml gives the reconcile
schedule, with Scheduler's context attributes filled in. `sqs_event()` turns
messages really received from a local queue into the Lambda SQS event that the
event source mapping would deliver for them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text())


def scheduler_event() -> dict[str, Any]:
    return load("scheduler_reconcile.json")


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage API message → one record of a Lambda SQS event."""
    record = copy.deepcopy(load("sqs_receive_message.json")["Records"][0])
    record["messageId"] = message["MessageId"]
    record["receiptHandle"] = message["ReceiptHandle"]
    record["body"] = message["Body"]
    record["md5OfBody"] = message.get("MD5OfBody", record["md5OfBody"])
    record["attributes"] = dict(message.get("Attributes", {}))
    record["messageAttributes"] = {
        name: {
            "stringValue": value["StringValue"],
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = region
    return record


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(m, queue_arn, region) for m in messages]}
