"""API Gateway HTTP API (payload v2) events for the HTTP function, built from the fixtures.

`http_api_webhook_issues_labeled.json` is `sam local generate-event apigateway
http-api-proxy` reshaped into the delivery API Gateway hands the function when
the GitHub stand-in labels acme/calc#1 `bzzz-task` as alice (body base64, as
API Gateway sends JSON; header names lower case, as HTTP APIs send them),
signed with `FIXTURE_SECRET`. The builders below swap in other bodies and
headers, re-signing when asked.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from bzzz.webhooks import sign
from tests.events import load

FIXTURE_SECRET = "It's a Secret to Everybody"
FIXTURE_DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def labeled_event() -> dict[str, Any]:
    return load("http_api_webhook_issues_labeled.json")


def labeled_payload() -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(labeled_event()["body"])))


def webhook_event(
    body: bytes | dict[str, Any] | None = None,
    *,
    event: str | None = None,
    delivery: str | None = None,
    secret: str | None = FIXTURE_SECRET,
    headers: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """The fixture delivery with another body (re-signed with `secret`) and header changes.

    A header set to None is removed.
    """
    result = labeled_event()
    raw = base64.b64decode(result["body"])
    if body is not None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        result["body"] = base64.b64encode(raw).decode()
        result["headers"]["content-length"] = str(len(raw))
        if secret is not None:
            result["headers"]["x-hub-signature-256"] = sign(secret, raw)
    if event is not None:
        result["headers"]["x-github-event"] = event
    if delivery is not None:
        result["headers"]["x-github-delivery"] = delivery
    for name, value in (headers or {}).items():
        if value is None:
            result["headers"].pop(name, None)
        else:
            result["headers"][name] = value
    return result


def api_event(
    method: str, path: str, body: Any = None, headers: dict[str, str | None] | None = None
) -> dict[str, Any]:
    """A request to the API, from the `active-repos` fixture (Bearer test-api-key)."""
    result = copy.deepcopy(load("http_api_get_active_repos.json"))
    raw_path, _, query = path.partition("?")
    result["rawPath"] = raw_path
    result["rawQueryString"] = query
    result["requestContext"]["http"]["method"] = method
    result["requestContext"]["http"]["path"] = raw_path
    if body is not None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        result["body"] = raw.decode()
        result["headers"]["content-type"] = "application/json"
        result["headers"]["content-length"] = str(len(raw))
    for name, value in (headers or {}).items():
        if value is None:
            result["headers"].pop(name, None)
        else:
            result["headers"][name] = value
    return result


def reply_json(reply: dict[str, Any]) -> Any:
    body = reply["body"]
    if reply.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return json.loads(body)
