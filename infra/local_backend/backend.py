"""`LocalBackend`: start the local servers (or use `AWS_ENDPOINT_URL`), provision stacks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from infra.local_backend.clients import (
    DEFAULT_REGION,
    DUMMY_CREDENTIALS,
    aws_environment,
    caller_credentials,
)
from infra.local_backend.errors import LocalBackendError
from infra.local_backend.provision import Provisioned, provision
from infra.local_backend.servers import ServerProcess, start_dynamodb_local, start_moto
from infra.local_backend.template import load_template

if TYPE_CHECKING:
    from bzzz.config import Settings

DynamoDBChoice = Literal["moto", "dynamodb-local"]
DYNAMODB_CHOICES: tuple[DynamoDBChoice, ...] = ("moto", "dynamodb-local")


def dynamodb_choice(value: str | None) -> DynamoDBChoice:
    """The argument, else BZZZ_LOCAL_DYNAMODB, else moto; anything else is an error."""
    chosen = value or os.environ.get("BZZZ_LOCAL_DYNAMODB", "").strip() or "moto"
    if chosen == "moto":
        return "moto"
    if chosen == "dynamodb-local":
        return "dynamodb-local"
    raise LocalBackendError(
        f"DynamoDB backend {chosen!r} (BZZZ_LOCAL_DYNAMODB): choose one of {DYNAMODB_CHOICES}"
    )


class LocalBackend:
    """Local AWS for one process: servers started once, any number of isolated stacks.

    With `AWS_ENDPOINT_URL` set (LocalStack, say) nothing at all is started and
    stacks are provisioned there; the DynamoDB choice is then moot (DynamoDB is
    AWS_ENDPOINT_URL_DYNAMODB if set, else AWS_ENDPOINT_URL).
    """

    def __init__(
        self,
        template: Path | str | None = None,
        stack_name: str = "bzzz-local",
        dynamodb: str | None = None,
        region: str | None = None,
        parameters: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.template: dict[str, Any] = load_template(template)
        self.stack_name = stack_name
        self.dynamodb = dynamodb_choice(dynamodb)
        self.region = region or os.environ.get("AWS_REGION") or DEFAULT_REGION
        self.parameters = dict(parameters or {})
        self.log_dir = log_dir
        self.servers: list[ServerProcess] = []
        self._base_env: dict[str, str] | None = None

    @property
    def base_env(self) -> dict[str, str]:
        """The AWS_* variables of the running backend (endpoints, region, credentials)."""
        if self._base_env is None:
            raise LocalBackendError("the local backend is not started; call start() first")
        return dict(self._base_env)

    def start_servers(self) -> dict[str, str]:
        """Start the servers this configuration needs (none with AWS_ENDPOINT_URL set)."""
        if self._base_env is not None:
            return self.base_env
        external = os.environ.get("AWS_ENDPOINT_URL", "").strip()
        try:
            if external:
                endpoint = external
                # Keep the caller's credentials for a remote-ish endpoint; dummy ones otherwise.
                credentials = caller_credentials(os.environ)
                dynamodb_url = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "").strip() or None
            else:
                moto = start_moto(self.log_dir)
                self.servers.append(moto)
                endpoint, credentials, dynamodb_url = moto.url, dict(DUMMY_CREDENTIALS), None
                if self.dynamodb == "dynamodb-local":
                    dynamodb = start_dynamodb_local(self.log_dir)
                    self.servers.append(dynamodb)
                    dynamodb_url = dynamodb.url
        except BaseException:
            self.stop()
            raise
        self._base_env = aws_environment(endpoint, self.region, dynamodb_url, credentials)
        account = os.environ.get("AWS_ACCOUNT_ID", "").strip()
        if external and account:  # an endpoint without STS: the provisioner needs it given
            self._base_env["AWS_ACCOUNT_ID"] = account
        return self.base_env

    def provision(self, stack_name: str | None = None) -> dict[str, str]:
        """Provision a stack (default: this backend's) and return its full environment."""
        return self.provision_stack(stack_name).env

    def provision_stack(self, stack_name: str | None = None) -> Provisioned:
        """Like `provision`, with the created resources and the template outputs too."""
        return provision(
            self.base_env, stack_name or self.stack_name, self.template, self.parameters
        )

    def start(self) -> dict[str, str]:
        """Start the servers and provision this backend's stack; returns its environment."""
        self.start_servers()
        try:
            return self.provision()
        except BaseException:
            self.stop()
            raise

    def settings(self, env: Mapping[str, str]) -> Settings:
        from bzzz.config import load_settings

        return load_settings(env)

    def use(self, stack_name: str | None = None) -> tuple[dict[str, str], Settings]:
        """Provision a stack and make this process use it, as `eval $(bzzz local env)` does
        for a shell: its environment goes into os.environ (AWS clients read credentials
        there) and the table models are bound. Returns (environment, settings)."""
        import os

        from bzzz.store.models import bind

        env = self.provision(stack_name)
        os.environ.update(env)
        settings = self.settings(env)
        bind(settings)
        return env, settings

    def detach(self) -> list[ServerProcess]:
        """Leave the servers running past this process (their pids are the caller's to keep)."""
        for server in self.servers:
            server.detach()
        return list(self.servers)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        self.servers.clear()
        self._base_env = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
