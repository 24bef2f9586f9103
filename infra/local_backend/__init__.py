"""The local AWS backend: template.yaml's resources on moto, DynamoDB Local or LocalStack.

with LocalBackend(stack_name="bzzz-local") as backend:
    env = backend.provision("test-1234")   # a fresh, isolated stack
    settings = backend.settings(env)
"""

from infra.local_backend.backend import DYNAMODB_CHOICES, LocalBackend, dynamodb_choice
from infra.local_backend.errors import (
    LocalBackendError,
    ProvisionError,
    ServerError,
    TemplateError,
)
from infra.local_backend.provision import Provisioned, export_lines, provision
from infra.local_backend.template import load_template

__all__ = [
    "DYNAMODB_CHOICES",
    "LocalBackend",
    "LocalBackendError",
    "ProvisionError",
    "Provisioned",
    "ServerError",
    "TemplateError",
    "dynamodb_choice",
    "export_lines",
    "load_template",
    "provision",
]
