"""Secrets: from the environment locally, from one Secrets Manager secret in AWS.

A deployment stores a JSON object in Secrets Manager (its id in
`BZZZ_SECRETS_ID`) with any of the keys below; an environment variable of the
same secret wins, which is how local runs and tests set them. Values are read
on first use and cached for a few minutes, so a rotated secret takes effect
without a redeploy.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.errors import ConfigError

# secret name -> environment variable that may carry it.
SECRETS: dict[str, str] = {
    "webhook_secret": "BZZZ_WEBHOOK_SECRET",
    "api_key": "BZZZ_API_KEY",
    "github_token": "GITHUB_TOKEN",
    "github_app_private_key": "GITHUB_APP_PRIVATE_KEY",
    "escalation_secret": "BZZZ_ESCALATION_SECRET",
    "audit_signing_key": "BZZZ_AUDIT_SIGNING_KEY",
    "hive_api_key": "HIVE_API_KEY",
    # The dashboard: the App's OAuth client secret and the key its session cookies are
    # signed with (any long random string; rotating it signs everyone out).
    "github_app_client_secret": "GITHUB_APP_CLIENT_SECRET",
    "dashboard_session_key": "BZZZ_DASHBOARD_SESSION_KEY",
}

_TTL_SECONDS = 300


class SecretStore:
    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
        self._settings = settings
        self._env = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._loaded: dict[str, Any] = {}
        self._loaded_at = 0.0

    def get(self, name: str) -> str | None:
        """The secret `name`, or None when it is configured nowhere."""
        variable = SECRETS.get(name)
        if variable is None:
            raise KeyError(f"unknown secret {name!r}; known: {sorted(SECRETS)}")
        value = self._env.get(variable, "").strip()
        if value:
            return value
        if not self._settings.secrets_id:
            return None
        found = self._from_secrets_manager().get(name)
        return str(found) if found else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            where = f"{SECRETS[name]}"
            if self._settings.secrets_id:
                where += f" or key {name!r} of secret {self._settings.secrets_id}"
            raise ConfigError(SECRETS[name], f"missing: set {where}")
        return value

    def _from_secrets_manager(self) -> dict[str, Any]:
        with self._lock:
            if self._loaded and time.monotonic() - self._loaded_at < _TTL_SECONDS:
                return self._loaded
            client = aws.client("secretsmanager", self._settings)
            try:
                raw = client.get_secret_value(SecretId=self._settings.secrets_id)["SecretString"]
                parsed = json.loads(raw)
            except (ClientError, BotoCoreError) as exc:
                raise ConfigError("BZZZ_SECRETS_ID", f"cannot read the secret: {exc}") from exc
            except (json.JSONDecodeError, KeyError) as exc:
                raise ConfigError("BZZZ_SECRETS_ID", "the secret must be a JSON object") from exc
            if not isinstance(parsed, dict):
                raise ConfigError("BZZZ_SECRETS_ID", "the secret must be a JSON object")
            self._loaded, self._loaded_at = parsed, time.monotonic()
            return self._loaded
