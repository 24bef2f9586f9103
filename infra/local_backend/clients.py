"""boto3 clients built from an environment mapping (not the process's), and that mapping.

The provisioner, the health summary and the tests all talk to the stack the
same way the application does: through AWS_ENDPOINT_URL_<SERVICE>, else
AWS_ENDPOINT_URL, plus AWS_REGION and credentials — but read from a dict, so
several local stacks can coexist in one process.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_REGION = "us-east-1"
# Local servers accept any credentials; these keep boto3 from looking for real ones.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}

# Few retries: a local server either answers at once or is down, and a
# provisioning run should fail in seconds rather than back off for a minute.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30
)


def endpoint_for(env: Mapping[str, str], service: str) -> str | None:
    """The same precedence the AWS SDKs and bzzz.config use."""
    for variable in (f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_ENDPOINT_URL"):
        value = env.get(variable, "").strip()
        if value:
            return value
    return None


def caller_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's access key, secret and session token where set; dummy ones otherwise.

    A key without its secret is not a credential: then both are the dummies.
    """
    key = environ.get("AWS_ACCESS_KEY_ID", "").strip()
    secret = environ.get("AWS_SECRET_ACCESS_KEY", "").strip()
    if not (key and secret):
        return dict(DUMMY_CREDENTIALS)
    credentials = {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
    token = environ.get("AWS_SESSION_TOKEN", "").strip()
    if token:
        credentials["AWS_SESSION_TOKEN"] = token
    return credentials


def aws_environment(
    endpoint_url: str,
    region: str = DEFAULT_REGION,
    dynamodb_url: str | None = None,
    credentials: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The AWS_* variables for a local endpoint (DynamoDB optionally elsewhere)."""
    env = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        **(credentials or DUMMY_CREDENTIALS),
    }
    if dynamodb_url:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_url
    return env


class Clients:
    """Lazily made clients for one environment mapping."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        self.region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        self._session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
            region_name=self.region,
        )

    def client(self, service: str) -> Any:
        return self._session.client(
            service,  # type: ignore[call-overload]
            endpoint_url=endpoint_for(self.env, service),
            config=_CONFIG,
        )

    @cached_property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @cached_property
    def sns(self) -> Any:
        return self.client("sns")

    @cached_property
    def sqs(self) -> Any:
        return self.client("sqs")

    @cached_property
    def s3(self) -> Any:
        return self.client("s3")

    @cached_property
    def sts(self) -> Any:
        return self.client("sts")
