"""Resolve CloudFormation intrinsic functions against one local stack.

The resolver knows the pseudo parameters, the template's parameters (defaults,
then overrides), its conditions, and the physical ids and attributes of the
resources created so far; `dependencies()` tells the provisioner which
resources a value needs first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.local_backend.errors import TemplateError

# moto's account, the default of a Stack made by hand; provision() always sets the
# server's own (AWS_ACCOUNT_ID or STS), and fails rather than guess.
DEFAULT_ACCOUNT_ID = "123456789012"

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class _NoValue:
    """`Ref: AWS::NoValue`: the enclosing property or list item disappears."""


NO_VALUE = _NoValue()


@dataclass
class Stack:
    """Everything a value may refer to, for one stack."""

    name: str
    region: str
    account_id: str = DEFAULT_ACCOUNT_ID
    parameters: dict[str, str] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    # Logical id -> what `Ref` returns, and -> {attribute: value} for `GetAtt`.
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::StackName": self.name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.name}/local"
            ),
        }


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    """Defaults from Parameters, then overrides; an unknown override or a missing value fails."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"unknown parameter(s) {unknown}; declared: {sorted(declared)}")
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in overrides:
            values[name] = str(overrides[name])
        elif "Default" in spec:
            values[name] = str(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no Default and no override")
    return values


def evaluate_conditions(template: Mapping[str, Any], stack: Stack) -> dict[str, bool]:
    """Evaluate every entry of Conditions (they may refer to each other)."""
    declared = template.get("Conditions") or {}
    results: dict[str, bool] = {}
    for name in declared:
        results[name] = _condition(name, declared, stack, results, ())
    return results


def _condition(
    name: str,
    declared: Mapping[str, Any],
    stack: Stack,
    results: dict[str, bool],
    seen: tuple[str, ...],
) -> bool:
    if name in results:
        return results[name]
    if name in seen or name not in declared:
        raise TemplateError(f"condition {name!r} is undefined or circular")
    stack.conditions = results
    value = _logic(declared[name], declared, stack, results, (*seen, name))
    results[name] = value
    return value


def _logic(
    node: Any, declared: Mapping[str, Any], stack: Stack, results: dict[str, bool], seen: Any
) -> bool:
    if isinstance(node, dict) and len(node) == 1:
        ((key, arg),) = node.items()
        if key == "Condition":
            return _condition(arg, declared, stack, results, seen)
        if key == "Fn::Equals":
            left, right = (resolve(item, stack) for item in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not _logic(arg[0], declared, stack, results, seen)
        if key == "Fn::And":
            return all(_logic(item, declared, stack, results, seen) for item in arg)
        if key == "Fn::Or":
            return any(_logic(item, declared, stack, results, seen) for item in arg)
    raise TemplateError(f"unsupported condition expression: {node!r}")


def resolve(node: Any, stack: Stack) -> Any:
    """The value of `node` with every intrinsic replaced; NO_VALUE entries are dropped."""
    if isinstance(node, list):
        items = (resolve(item, stack) for item in node)
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((key, arg),) = node.items()
        if key == "Ref":
            return _ref(arg, stack)
        if key.startswith("Fn::"):
            return _function(key, arg, stack)
    resolved = {key: resolve(value, stack) for key, value in node.items()}
    return {key: value for key, value in resolved.items() if value is not NO_VALUE}


def _ref(name: str, stack: Stack) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    pseudo = stack.pseudo()
    for table in (pseudo, stack.parameters, stack.refs):
        if name in table:
            return table[name]
    raise TemplateError(f"Ref {name!r}: no such parameter, pseudo parameter or created resource")


def _get_att(logical_id: str, attribute: str, stack: Stack) -> str:
    try:
        return stack.attributes[logical_id][attribute]
    except KeyError:
        raise TemplateError(f"GetAtt {logical_id}.{attribute}: not available locally") from None


def _function(key: str, arg: Any, stack: Stack) -> Any:
    if key == "Fn::GetAtt":
        logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
        return _get_att(logical_id, attribute, stack)
    if key == "Fn::Sub":
        text, local = (arg, {}) if isinstance(arg, str) else (arg[0], resolve(arg[1], stack))
        return _SUB_VARIABLE.sub(lambda match: _sub_variable(match.group(1), local, stack), text)
    if key == "Fn::Join":
        separator, items = arg
        return str(separator).join(str(item) for item in resolve(items, stack))
    if key == "Fn::Select":
        index, items = resolve(arg, stack)
        return items[int(index)]
    if key == "Fn::Split":
        separator, text = resolve(arg, stack)
        return str(text).split(separator)
    if key == "Fn::If":
        name, when_true, when_false = arg
        if name not in stack.conditions:
            raise TemplateError(f"Fn::If: unknown condition {name!r}")
        return resolve(when_true if stack.conditions[name] else when_false, stack)
    if key == "Fn::GetAZs":
        return [f"{stack.region}{suffix}" for suffix in "abc"]
    if key == "Fn::FindInMap":
        raise TemplateError("Fn::FindInMap needs Mappings, which the local backend does not read")
    raise TemplateError(f"{key} is not supported by the local backend")


def _sub_variable(name: str, local: Mapping[str, Any], stack: Stack) -> str:
    if name in local:
        return str(local[name])
    if "." in name and not name.startswith("AWS::"):
        logical_id, attribute = name.split(".", 1)
        return _get_att(logical_id, attribute, stack)
    return str(_ref(name, stack))


def dependencies(node: Any, resource_ids: set[str]) -> set[str]:
    """Logical ids of the resources that `node` refers to (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= dependencies(item, resource_ids)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and value in resource_ids:
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else value.split(".", 1)[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                for name in _SUB_VARIABLE.findall(text):
                    if name.split(".", 1)[0] in resource_ids:
                        found.add(name.split(".", 1)[0])
                if not isinstance(value, str):
                    found |= dependencies(value[1], resource_ids)
            else:
                found |= dependencies(value, resource_ids)
    return found & resource_ids
