"""GitHub's schema dialect in jsonschema: OpenAPI 3.0 `nullable`, and the formats we check."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import jsonschema


def format_checker() -> jsonschema.FormatChecker:
    # jsonschema checks no formats by default and its date-time check needs an
    # optional package; GitHub's schemas lean on these two, so check them here.
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return "T" in value

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parsed = urlparse(value)
        return bool(parsed.scheme) and (bool(parsed.netloc) or parsed.scheme == "mailto")

    return checker


def nullable_to_json_schema(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 `nullable: true` into plain JSON Schema, in place."""
    if isinstance(node, list):
        for item in node:
            nullable_to_json_schema(item)
        return node
    if not isinstance(node, dict):
        return node
    for value in node.values():
        nullable_to_json_schema(value)
    if node.get("nullable") is True:
        del node["nullable"]
        if "type" in node and "$ref" not in node:
            kind = node["type"]
            node["type"] = [*kind, "null"] if isinstance(kind, list) else [kind, "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            # `$ref` silences its siblings and allOf/oneOf have no type to widen,
            # so wrap the whole schema in "null or that".
            inner = dict(node)
            node.clear()
            node["anyOf"] = [{"type": "null"}, inner]
    return node
