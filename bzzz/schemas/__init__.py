"""The JSON Schemas of every message and payload Bzzz owns, and their validation.

Schemas are loaded and compiled once, on first use. A failure raises
`MessageError` naming the JSON path of the offending field.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from bzzz.errors import MessageError

_BASE = "https://bzzz.dev/schemas/"


def schema_names() -> list[str]:
    folder = resources.files(__package__)
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed schema `name` (for example "envelope.json")."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _registry() -> Registry:
    resources_by_uri = [
        (_BASE + name, Resource.from_contents(load(name))) for name in schema_names()
    ]
    return Registry().with_resources(resources_by_uri)


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load(name), registry=_registry())


def validate(name: str, instance: Any) -> None:
    """Raise MessageError with the failing field's path when `instance` breaks schema `name`."""
    error = best_match(validator(name).iter_errors(instance))
    if error is None:
        return
    # best_match descends into the most relevant sub-error (for if/then and allOf).
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    raise MessageError(path, error.message)
