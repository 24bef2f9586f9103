"""Read template.yaml: a YAML loader that understands CloudFormation's short-form tags.

`!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}`,
and every other `!Fn` becomes `{"Fn::Fn": ...}` — the long forms the resolver
(`intrinsics.py`) works on, so a template may mix both spellings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infra.local_backend.errors import TemplateError

# The repository's template; a packaged install passes its own path.
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

_FUNCTIONS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "GetAtt",
)


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader plus the CloudFormation tags; a subclass so yaml.SafeLoader stays untouched."""


def _value(loader: _CfnLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _ref(loader: _CfnLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _value(loader, node)}


def _condition(loader: _CfnLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _value(loader, node)}


def _function(name: str) -> Any:
    def construct(loader: _CfnLoader, node: yaml.Node) -> dict[str, Any]:
        value = _value(loader, node)
        # `!GetAtt Queue.Arn` is the dotted short form of ["Queue", "Arn"].
        if name == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{name}": value}

    return construct


_CfnLoader.add_constructor("!Ref", _ref)
_CfnLoader.add_constructor("!Condition", _condition)
for _name in _FUNCTIONS:
    _CfnLoader.add_constructor(f"!{_name}", _function(_name))


def parse_template(text: str) -> dict[str, Any]:
    """Parse template text into plain dicts and lists with long-form intrinsics."""
    try:
        document = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"template is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError("template has no Resources mapping")
    return document


def load_template(path: Path | str | None = None) -> dict[str, Any]:
    """Read and parse the template at `path` (default: the repository's template.yaml)."""
    file = Path(path) if path is not None else DEFAULT_TEMPLATE
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read template {file}: {exc.strerror or exc}") from exc
    return parse_template(text)
