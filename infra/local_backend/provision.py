"""Create exactly the resources template.yaml declares, in dependency order; return the env.

Also a command for LocalStack's init hook, which has boto3 and PyYAML but not
our virtual environment:

    python -m infra.local_backend.provision --stack bzzz-local
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bzzz.config import RESOURCE_VARIABLES
from infra.local_backend.clients import (
    DEFAULT_REGION,
    Clients,
    aws_environment,
    caller_credentials,
    endpoint_for,
)
from infra.local_backend.errors import LocalBackendError, ProvisionError, TemplateError
from infra.local_backend.exports import export_lines
from infra.local_backend.intrinsics import (
    Stack,
    dependencies,
    evaluate_conditions,
    parameter_values,
    resolve,
)
from infra.local_backend.resource_types import PROVISIONED, SUPERVISED
from infra.local_backend.template import load_template


@dataclass(frozen=True)
class Provisioned:
    """One provisioning run: logical id -> physical id, template outputs, and the env."""

    stack_name: str
    resources: dict[str, str]
    supervised: dict[str, str]
    outputs: dict[str, str]
    env: dict[str, str]


def provision(
    env: Mapping[str, str],
    stack_name: str,
    template: Mapping[str, Any] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> Provisioned:
    """Create the template's resources against the endpoints in `env` (idempotent)."""
    template = template if template is not None else load_template()
    clients = Clients(env)
    stack = Stack(
        name=stack_name,
        region=clients.region,
        account_id=_account_id(clients),
        parameters=parameter_values(template, parameters or {}),
    )
    stack.conditions = evaluate_conditions(template, stack)
    declared = {
        logical_id: spec
        for logical_id, spec in template["Resources"].items()
        if "Condition" not in spec or stack.conditions.get(spec["Condition"], False)
    }
    unknown = {i: s.get("Type") for i, s in declared.items()}
    unknown = {i: t for i, t in unknown.items() if t not in PROVISIONED and t not in SUPERVISED}
    if unknown:
        raise TemplateError(
            f"resource types the local backend does not know: {unknown}; add them to "
            "infra/local_backend/provision.py (PROVISIONED or SUPERVISED)"
        )
    supervised = {i: s["Type"] for i, s in declared.items() if s["Type"] in SUPERVISED}
    created: dict[str, str] = {}
    for logical_id in creation_order(declared):
        spec = declared[logical_id]
        service, create = PROVISIONED[spec["Type"]]
        props = resolve(spec.get("Properties") or {}, stack)
        try:
            ref, attributes = create(
                getattr(clients, service),
                logical_id,
                props,
                f"{stack_name}-{logical_id}",
            )
        except LocalBackendError:
            raise
        except Exception as exc:  # botocore errors, missing properties
            raise ProvisionError(logical_id, f"{type(exc).__name__}: {exc}") from exc
        stack.refs[logical_id] = ref
        stack.attributes[logical_id] = attributes
        created[logical_id] = ref
    outputs = _outputs(template, stack)
    missing = sorted(output for output in RESOURCE_VARIABLES.values() if output not in outputs)
    if missing:
        raise TemplateError(f"template lacks the outputs bzzz.config needs: {missing}")
    full_env = {**env, **{var: outputs[output] for var, output in RESOURCE_VARIABLES.items()}}
    return Provisioned(stack_name, created, supervised, outputs, full_env)


def creation_order(declared: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Provisioned resources, each after those it refers to (template order otherwise)."""
    ids = set(declared)
    needs: dict[str, set[str]] = {}
    for logical_id, spec in declared.items():
        depends_on = spec.get("DependsOn") or []
        depends = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        needs[logical_id] = dependencies(spec.get("Properties") or {}, ids) | (depends & ids)
    order: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in order:
            return
        if logical_id in visiting:
            raise TemplateError(f"circular reference through {logical_id}")
        visiting.add(logical_id)
        for needed in sorted(needs[logical_id]):
            if declared[needed]["Type"] in SUPERVISED:
                raise TemplateError(
                    f"{logical_id} refers to {needed} ({declared[needed]['Type']}), "
                    "which is not provisioned locally"
                )
            visit(needed)
        visiting.discard(logical_id)
        order.append(logical_id)

    for logical_id, spec in declared.items():
        if spec["Type"] in PROVISIONED:
            visit(logical_id)
    return order


def _outputs(template: Mapping[str, Any], stack: Stack) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for name, spec in (template.get("Outputs") or {}).items():
        if "Condition" in spec and not stack.conditions.get(spec["Condition"], False):
            continue
        try:
            outputs[name] = str(resolve(spec["Value"], stack))
        except TemplateError:
            # An output of a supervised resource (say, the API URL) has no local value.
            continue
    return outputs


def _account_id(clients: Clients) -> str:
    """AWS_ACCOUNT_ID when given, else STS's answer; never a guess.

    moto answers 123456789012, LocalStack 000000000000: ARNs made with !Sub must
    carry the account the server itself uses, or subscriptions and queue
    policies name resources that do not exist.
    """
    given = clients.env.get("AWS_ACCOUNT_ID", "").strip()
    if given:
        return given
    try:
        return str(clients.sts.get_caller_identity()["Account"])
    except Exception as exc:  # an endpoint without STS, say DynamoDB Local alone
        where = endpoint_for(clients.env, "sts") or "AWS"
        raise ProvisionError(
            "AWS::AccountId",
            f"STS at {where} did not answer ({type(exc).__name__}: {exc}); "
            "serve STS there or set AWS_ACCOUNT_ID",
        ) from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="bzzz-local")
    parser.add_argument("--template", default=None)
    parser.add_argument("--endpoint", default=None, help="default: AWS_ENDPOINT_URL")
    parser.add_argument(
        "--dynamodb-endpoint", default=None, help="default: AWS_ENDPOINT_URL_DYNAMODB or --endpoint"
    )
    parser.add_argument("--region", default=None, help="default: AWS_REGION or us-east-1")
    args = parser.parse_args(argv)
    endpoint = args.endpoint or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        print("error: pass --endpoint or set AWS_ENDPOINT_URL", file=sys.stderr)
        return 2
    region = args.region or os.environ.get("AWS_REGION") or DEFAULT_REGION
    dynamodb = args.dynamodb_endpoint or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    env = aws_environment(endpoint, region, dynamodb, caller_credentials(os.environ))
    # The SDKs' other per-service endpoints (AWS_ENDPOINT_URL_STS, ...) and an explicit
    # account id hold here too.
    for variable, value in os.environ.items():
        if variable.startswith("AWS_ENDPOINT_URL_") and variable not in env:
            env[variable] = value
    if os.environ.get("AWS_ACCOUNT_ID"):
        env["AWS_ACCOUNT_ID"] = os.environ["AWS_ACCOUNT_ID"]
    try:
        result = provision(env, args.stack, load_template(args.template))
    except LocalBackendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(export_lines(result.env)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
