"""Hold the stand-in to GitHub's REST description (`@octokit/openapi`, api.github.com.json).

`OpenApiContract.check` takes one recorded exchange and says what is wrong with
it: no such operation, an undocumented status, or a body off the response
schema. The document is 13 MB, so it is parsed once and validators are cached.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from infra.github_emulator.errors import ContractError
from infra.github_emulator.schema_dialect import format_checker, nullable_to_json_schema

NODE_MODULES = Path(__file__).resolve().parents[1] / "node" / "node_modules" / "@octokit"
OPENAPI_PATH = NODE_MODULES / "openapi" / "generated" / "api.github.com.json"

_OPENAPI_URI = "urn:github-openapi"
_METHODS = ("get", "put", "post", "delete", "patch", "head")


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
        self._doc = nullable_to_json_schema(document)
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
        self._checker = format_checker()
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


@cache
def openapi_contract() -> OpenApiContract:
    """The REST contract, parsed once per process."""
    return OpenApiContract.load()
