"""Vend a repository token to the runner that holds a task's lease, and to nobody else.

Order of checks, each refusing with its own error: the signed request is well
formed, fresh and verifies against the agent's first registered key (401);
its nonce was never seen (401, a replay); a consistent read of the task shows
this agent as the lease owner (403) within an unexpired lease on a leased
state (409). Only then is GitHub asked for a token (`AppTokens`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from bzzz import aws
from bzzz.config import Settings
from bzzz.credentials.app_tokens import AppTokens, VendedToken
from bzzz.credentials.errors import LeaseExpiredError, NotLeaseHolderError, UnauthenticatedError
from bzzz.credentials.signing import WINDOW_SECONDS, check_fresh, check_signature, parse_request
from bzzz.errors import TaskNotFoundError
from bzzz.secrets import SecretStore
from bzzz.store.conditions import condition_failed
from bzzz.tasks.keys import parse_task_key
from bzzz.tasks.states import LEASED

# Nonces share the deliveries table (de-duplication rows with a TTL) under their own prefix.
NONCE_PREFIX = "bzzz:token-nonce:"


class TokenVendor:
    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        *,
        tokens: AppTokens | None = None,
        clock: Callable[[], float] = time.time,
        dynamodb: Any = None,
    ) -> None:
        self._settings = settings
        self._tokens = tokens or AppTokens(settings, secrets)
        self._clock = clock
        self._db = dynamodb or aws.client("dynamodb", settings)

    def vend(self, key: str, authorization: str | None) -> VendedToken:
        """A token for the task's repository, for the lease holder who signed `authorization`."""
        from bzzz.tasks.lifecycle import Lifecycle

        repo, _ = parse_task_key(key)
        request = parse_request(authorization, key)
        now = self._clock()
        check_fresh(request, now)
        check_signature(request, self._registered_key(request.agent))
        self._spend_nonce(request.agent, request.nonce, now)
        task = Lifecycle(self._settings, dynamodb=self._db, clock=self._clock).get(key)
        if task is None:
            raise TaskNotFoundError(key, "token", None, None, "no such task")
        if task.lease_owner != request.agent:
            raise NotLeaseHolderError(
                f"{request.agent} does not hold the lease of {key} "
                f"(held by {task.lease_owner or 'nobody'})"
            )
        if task.state not in LEASED:
            raise LeaseExpiredError(f"{key} is {task.state}, not leased: no token")
        if float(task.lease_expires_at) <= now:
            raise LeaseExpiredError(f"the lease of {request.agent} on {key} has expired")
        return self._tokens.mint(repo)

    def _registered_key(self, agent: str) -> str | None:
        """The first key `agent` registered in the audit keys stream (later ones never count).

        Not the agents table's `public_key`: that row is the runner's own to
        write, while the keys stream keeps the first registration.
        """
        from bzzz.audit import KEYS_STREAM
        from bzzz.audit.registry import registrations
        from bzzz.audit.store import AuditStore

        for author, public_key in registrations(AuditStore(self._settings).stream(KEYS_STREAM)):
            if author == agent:
                return public_key
        return None

    def _spend_nonce(self, agent: str, nonce: str, now: float) -> None:
        try:
            self._db.put_item(
                TableName=self._settings.deliveries_table,
                Item={
                    "delivery_id": {"S": f"{NONCE_PREFIX}{agent}:{nonce}"},
                    "event": {"S": "token.request"},
                    "received_at": {"N": str(round(now, 3))},
                    # Past the window the timestamp check refuses it anyway.
                    "expires_at": {"N": str(int(now) + 2 * WINDOW_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(delivery_id)",
            )
        except ClientError as exc:
            if condition_failed(exc):
                raise UnauthenticatedError("the request was replayed: its nonce is spent") from exc
            raise
