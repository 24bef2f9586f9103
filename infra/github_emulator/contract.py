"""Hold the stand-in to GitHub: validate exchanges against GitHub's published descriptions.

`OpenApiContract` checks a REST response (status documented, body matching the
response schema) against `@octokit/openapi`'s `api.github.com.json`;
`WebhookContract` checks a webhook payload against `@octokit/webhooks-schemas`.
Both documents are large, so each is parsed once and validators are cached.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7

NODE_MODULES = Path(__file__).resolve().parents[1] / "node" / "node_modules" / "@octokit"
OPENAPI_PATH = NODE_MODULES / "openapi" / "generated" / "api.github.com.json"
WEBHOOKS_PATH = NODE_MODULES / "webhooks-schemas" / "schema.json"

_OPENAPI_URI = "urn:github-openapi"
_WEBHOOKS_URI = "urn:github-webhooks"
_METHODS = ("get", "put", "post", "delete", "patch", "head")


class ContractError(Exception):
    """A description could not be loaded, or an exchange does not match it."""


@dataclass(frozen=True)
class Exchange:
    """One REST request and the stand-in's reply, as the recorder saw it."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _format_checker() -> jsonschema.FormatChecker:
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


def _nullable_to_json_schema(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 `nullable: true` into plain JSON Schema, in place."""
    if isinstance(node, list):
        for item in node:
            _nullable_to_json_schema(item)
        return node
    if not isinstance(node, dict):
        return node
    for value in node.values():
        _nullable_to_json_schema(value)
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


def _template_regex(template: str, *, greedy_tail: bool = False) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    if greedy_tail and pattern.endswith("[^/]+"):
        # A few GitHub parameters hold slashes (`git/ref/{ref}` with `heads/main`).
        pattern = pattern.removesuffix("[^/]+") + ".+"
    return re.compile(f"^{pattern}$")


@dataclass(frozen=True)
class _Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    tail_regex: re.Pattern[str]
    responses: dict[str, Any]
    params: int


class OpenApiContract:
    """GitHub's REST description, with operation lookup and cached validators."""

    # Replies GitHub gives on any operation although few operations list them:
    # conditional GETs (304), bad or missing credentials (401) and spent rate
    # limits (403/429). Their bodies are checked against GitHub's basic-error.
    GENERIC_STATUSES = frozenset({"304", "401", "403", "429"})

    def __init__(self, document: dict[str, Any]) -> None:
        self._doc = _nullable_to_json_schema(document)
        self._doc.setdefault("x-emulator-schemas", {})
        self._registry: Registry[Any] = Registry().with_resource(
            _OPENAPI_URI, Resource.from_contents(self._doc, default_specification=DRAFT4)
        )
        self._ops: dict[str, list[_Operation]] = {m: [] for m in _METHODS}
        for template, item in self._doc["paths"].items():
            for method in _METHODS:
                if method in item:
                    op = _Operation(
                        method,
                        template,
                        _template_regex(template),
                        _template_regex(template, greedy_tail=True),
                        item[method].get("responses", {}),
                        template.count("{"),
                    )
                    self._ops[method].append(op)
        for ops in self._ops.values():
            # A literal segment beats a parameter (`issues/comments/{id}` before
            # `issues/{number}`), so try templates with fewer parameters first.
            ops.sort(key=lambda op: op.params)
        self._checker = _format_checker()
        self._validators: dict[tuple[str, str, str], jsonschema.protocols.Validator] = {}

    @classmethod
    def load(cls, path: Path = OPENAPI_PATH) -> OpenApiContract:
        try:
            return cls(json.loads(path.read_text()))
        except OSError as exc:
            raise ContractError(f"cannot read {path}; run `npm ci --prefix infra/node`") from exc

    def match(self, method: str, path: str) -> _Operation | None:
        ops = self._ops.get(method.lower(), [])
        for op in ops:
            if op.regex.match(path):
                return op
        # A greedy tail could make `/repos/{owner}/{repo}` swallow any path, so the
        # fallback tries the most specific (longest) templates first.
        for op in sorted(ops, key=lambda op: -len(op.template)):
            if op.tail_regex.match(path):
                return op
        return None

    def _response(self, op: _Operation, status: str) -> dict[str, Any] | None:
        response = op.responses.get(status)
        if response is None:
            return None
        ref = response.get("$ref")
        if isinstance(ref, str):
            response = self._doc["components"]["responses"][ref.rsplit("/", 1)[1]]
        return response  # type: ignore[no-any-return]

    def _validator(self, key: tuple[str, str, str], schema: Any) -> jsonschema.protocols.Validator:
        validator = self._validators.get(key)
        if validator is None:
            # Store the schema inside the document so that its `#/components/...`
            # references resolve against the document itself.
            name = f"{len(self._doc['x-emulator-schemas'])}"
            self._doc["x-emulator-schemas"][name] = schema
            root = {"$ref": f"{_OPENAPI_URI}#/x-emulator-schemas/{name}"}
            validator = jsonschema.Draft4Validator(
                root, registry=self._registry, format_checker=self._checker
            )
            self._validators[key] = validator
        return validator

    def check(self, exchange: Exchange) -> list[str]:
        """Return what is wrong with this exchange; an empty list means it conforms."""
        where = f"{exchange.method} {exchange.path} -> {exchange.status}"
        op = self.match(exchange.method, exchange.path.split("?", 1)[0])
        if op is None:
            return [f"{where}: no operation in GitHub's description"]
        status = str(exchange.status)
        response = self._response(op, status)
        if response is None:
            if status not in self.GENERIC_STATUSES:
                return [f"{where}: status not documented for {op.method} {op.template}"]
            if status == "304":
                return [f"{where}: 304 with a body"] if exchange.body else []
            schema: Any = {"$ref": "#/components/schemas/basic-error"}
        else:
            content = response.get("content") or {}
            media = content.get("application/json") or next(iter(content.values()), None)
            if media is None or "schema" not in media:
                return [f"{where}: documented without a body, got one"] if exchange.body else []
            schema = media["schema"]
        if not exchange.body:
            return [f"{where}: empty body where a JSON body is documented"]
        try:
            body = exchange.json()
        except ValueError:
            return [f"{where}: body is not JSON"]
        validator = self._validator((op.method, op.template, status), schema)
        return [
            f"{where}: {'/'.join(map(str, err.absolute_path)) or '<root>'}: {err.message[:300]}"
            for err in validator.iter_errors(body)
        ]


class WebhookContract:
    """GitHub's webhook payload schemas, one validator per `event$action`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._doc = document
        self._registry: Registry[Any] = Registry().with_resource(
            _WEBHOOKS_URI, Resource.from_contents(document, default_specification=DRAFT7)
        )
        self._checker = _format_checker()
        self._validators: dict[str, jsonschema.protocols.Validator] = {}

    @classmethod
    def load(cls, path: Path = WEBHOOKS_PATH) -> WebhookContract:
        try:
            return cls(json.loads(path.read_text()))
        except OSError as exc:
            raise ContractError(f"cannot read {path}; run `npm ci --prefix infra/node`") from exc

    def check(self, event: str, payload: dict[str, Any]) -> list[str]:
        name = f"{event}${payload['action']}" if "action" in payload else f"{event}_event"
        if name not in self._doc["definitions"]:
            return [f"{name}: no such webhook schema"]
        validator = self._validators.get(name)
        if validator is None:
            root = {"$ref": f"{_WEBHOOKS_URI}#/definitions/{name}"}
            validator = jsonschema.Draft7Validator(
                root, registry=self._registry, format_checker=self._checker
            )
            self._validators[name] = validator
        return [
            f"{name}: {'/'.join(map(str, err.absolute_path)) or '<root>'}: {err.message[:300]}"
            for err in validator.iter_errors(payload)
        ]


@cache
def openapi_contract() -> OpenApiContract:
    """The REST contract, parsed once per process."""
    return OpenApiContract.load()


@cache
def webhook_contract() -> WebhookContract:
    """The webhook contract, parsed once per process."""
    return WebhookContract.load()
