"""Hold webhook payloads to GitHub's schemas (`@octokit/webhooks-schemas`, one per event$action)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from infra.github_emulator.contract import NODE_MODULES
from infra.github_emulator.errors import ContractError
from infra.github_emulator.schema_dialect import format_checker

WEBHOOKS_PATH = NODE_MODULES / "webhooks-schemas" / "schema.json"
_WEBHOOKS_URI = "urn:github-webhooks"


class WebhookContract:
    """GitHub's webhook payload schemas, one validator per `event$action`."""

    def __init__(self, document: dict[str, Any]) -> None:
        self._doc = document
        self._registry: Registry[Any] = Registry().with_resource(
            _WEBHOOKS_URI, Resource.from_contents(document, default_specification=DRAFT7)
        )
        self._checker = format_checker()
        self._validators: dict[str, jsonschema.protocols.Validator] = {}

    @classmethod
    def load(cls, path: Path = WEBHOOKS_PATH) -> WebhookContract:
        try:
            return cls(json.loads(path.read_text()))
        except OSError as exc:
            raise ContractError(f"cannot read {path}; run `npm ci --prefix infra/node`") from exc

    def check(self, event: str, payload: dict[str, Any]) -> list[str]:
        name = f"{event}${payload['action']}" if "action" in payload else f"{event}_event"
        if event == "repository_dispatch":  # its action is the sender's free event type
            name = "repository_dispatch$event"
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
def webhook_contract() -> WebhookContract:
    """The webhook contract, parsed once per process."""
    return WebhookContract.load()
