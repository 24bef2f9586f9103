"""The control plane's audit hook, in one place for every component that transitions tasks.

The control plane signs with the key in the secret `audit_signing_key`
(`BZZZ_AUDIT_SIGNING_KEY` locally; `bzzz audit keygen` makes one). A deployment
without it still works but records no control-plane entries: that is logged
once, loudly, rather than failing every webhook.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

from bzzz.secrets import SecretStore

if TYPE_CHECKING:
    from bzzz.config import Settings
    from bzzz.tasks.lifecycle import Listener

log = logging.getLogger(__name__)

# One AuditLog per table, endpoint and key: a warm Lambda reuses it across invocations.
_listeners: dict[tuple[str, str | None, str], Listener] = {}


def control_plane_listeners(
    settings: Settings, secrets: SecretStore | None = None
) -> list[Listener]:
    """[the audit listener signed by the control plane], or [] when no key is configured."""
    key = (secrets or SecretStore(settings)).get("audit_signing_key")
    if key is None:
        _warn_once()
        return []
    cache_key = (settings.audit_table, settings.endpoint_url("dynamodb"), key)
    if cache_key not in _listeners:
        from bzzz.audit.keys import Signer
        from bzzz.audit.listener import audit_listener
        from bzzz.audit.log import AuditLog
        from bzzz.audit.registry import CONTROL_PLANE

        signer = Signer.from_text(CONTROL_PLANE, key)
        _listeners[cache_key] = audit_listener(AuditLog(settings, signer))
    return [_listeners[cache_key]]


@lru_cache(maxsize=1)
def _warn_once() -> None:
    log.warning(
        "audit log off for the control plane: set BZZZ_AUDIT_SIGNING_KEY "
        "(or audit_signing_key in the Secrets Manager secret); `bzzz audit keygen` makes one"
    )
