"""The local AWS backend: template.yaml's resources on moto, DynamoDB Local or LocalStack.

    with LocalBackend(stack_name="bzzz-local") as backend:
        env = backend.provision("test-1234")   # a fresh, isolated stack
        settings = backend.settings(env)

Names are imported on first use (PEP 562), so importing this package costs
nothing, `bzzz local env` does not load boto3, and
`python -m infra.local_backend.provision` runs without importing itself twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.local_backend.backend import DYNAMODB_CHOICES, LocalBackend, dynamodb_choice
    from infra.local_backend.errors import (
        LocalBackendError,
        ProvisionError,
        ServerError,
        TemplateError,
    )
    from infra.local_backend.exports import export_lines
    from infra.local_backend.provision import Provisioned, provision
    from infra.local_backend.template import load_template

_HOMES = {
    "DYNAMODB_CHOICES": "backend",
    "LocalBackend": "backend",
    "dynamodb_choice": "backend",
    "LocalBackendError": "errors",
    "ProvisionError": "errors",
    "ServerError": "errors",
    "TemplateError": "errors",
    "export_lines": "exports",
    "Provisioned": "provision",
    "provision": "provision",
    "load_template": "template",
}

__all__ = [  # noqa: RUF022 - grouped as in _HOMES
    "DYNAMODB_CHOICES",
    "LocalBackend",
    "dynamodb_choice",
    "LocalBackendError",
    "ProvisionError",
    "ServerError",
    "TemplateError",
    "export_lines",
    "Provisioned",
    "provision",
    "load_template",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"infra.local_backend.{home}"), name)
