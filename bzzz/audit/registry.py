"""Who may sign as whom: the key registry that verification trusts.

Trust model (docs/audit.md explains it at length):

- The control plane's key is the anchor, pinned at deploy: its public key is
  BZZZ_AUDIT_PUBLIC_KEY (the template's `AuditPublicKey` parameter and
  output), and a verifier that can read the secret `audit_signing_key` pins
  the key derived from it; the two must agree. Nothing in the tables can
  name the control plane's key: `control-plane` is a reserved name, which no
  registration (keys stream or agents row) may take.
- Every other author registers its public key by appending a self-signed
  `key.registered` entry to the stream `bzzz:keys` (proof of possession), and
  sets `public_key` on its agents-table row for display. The keys stream is
  the durable record: agents rows expire by TTL, the audit log must not.
- An author's first registration wins. A different key later for the same
  author is ignored, so someone who can write the tables cannot re-key an
  existing author and re-sign its history; a runner that lost its key
  registers under a new agent id.
- Agents rows with a public key but no registration are accepted too (a runner
  that registered through its agents row only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bzzz import aws
from bzzz.audit.chain import first_finding
from bzzz.audit.errors import AuditKeyError, AuditStoreError
from bzzz.audit.keys import Signer
from bzzz.audit.lease import CONTROL_PLANE as CONTROL_PLANE
from bzzz.audit.log import AuditLog
from bzzz.audit.store import AuditStore, Entry
from bzzz.config import Settings
from bzzz.secrets import SecretStore
from bzzz.store.conditions import condition_failed

# The same id as bzzz.tasks.lifecycle.CONTROL_PLANE. Reserved: its key is pinned at deploy.
RESERVED_AUTHORS = frozenset({CONTROL_PLANE})
KEYS_STREAM = "bzzz:keys"
KEY_REGISTERED = "key.registered"


@dataclass
class KeyRegistry:
    """author -> public key, and where each key came from (for display)."""

    keys: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def public_key(self, author: str) -> str | None:
        return self.keys.get(author)

    def add(self, author: str, public_key: str, source: str, *, pin: bool = False) -> None:
        if pin or author not in self.keys:
            self.keys[author] = public_key
            self.sources[author] = source


def self_signed_key(entry: Entry) -> str | None:
    """The key a keys-stream entry registers, which must also have signed it."""
    key = entry.data.get("public_key")
    return key if entry.type == KEY_REGISTERED and isinstance(key, str) else None


def registrations(entries: list[Entry]) -> list[tuple[str, str]]:
    """(author, public key) of the keys stream's registrations before its first bad entry.

    Trusting nothing past a break matters: a registration rewritten in place
    (new key, re-hashed, self-signed) is individually valid, but it breaks the
    link from the entry after it.
    """
    good, _ = first_finding(KEYS_STREAM, entries, self_signed_key)
    return [
        (entry.author, self_signed_key(entry) or "")
        for entry in entries[:good]
        if entry.author not in RESERVED_AUTHORS  # never trusted, and reported by verify
    ]


def load_registry(
    settings: Settings,
    secrets: SecretStore | None = None,
    *,
    keys_stream: list[Entry] | None = None,
) -> KeyRegistry:
    """The registry a verifier trusts, with the control plane's key pinned where configured.

    Without BZZZ_AUDIT_PUBLIC_KEY and without the secret, the control plane
    has no key and its entries verify as `unknown key`. AuditKeyError when
    the two are set and disagree.
    """
    registry = KeyRegistry()
    stream = AuditStore(settings).stream(KEYS_STREAM) if keys_stream is None else keys_stream
    for author, key in registrations(stream):
        registry.add(author, key, KEYS_STREAM)
    for agent_id, key in _agents_with_keys(settings):
        if agent_id not in RESERVED_AUTHORS:
            registry.add(agent_id, key, "agents table")
    published = settings.audit_public_key
    if published:
        registry.add(CONTROL_PLANE, published, "BZZZ_AUDIT_PUBLIC_KEY (pinned)", pin=True)
    secret = (secrets or SecretStore(settings)).get("audit_signing_key")
    if secret:
        derived = Signer.from_text(CONTROL_PLANE, secret).public_key
        if published and derived != published:
            raise AuditKeyError(
                "BZZZ_AUDIT_PUBLIC_KEY is not the public key of the signing secret "
                "audit_signing_key; `bzzz audit keygen` prints the pair"
            )
        registry.add(CONTROL_PLANE, derived, "signing secret (pinned)", pin=True)
    return registry


def control_plane_signer(settings: Settings, secrets: SecretStore | None = None) -> Signer:
    """The control plane's signer, from the secret `audit_signing_key` (ConfigError if unset)."""
    return Signer.from_text(
        CONTROL_PLANE, (secrets or SecretStore(settings)).require("audit_signing_key")
    )


def publish_public_key(settings: Settings, signer: Signer) -> None:
    """Register `signer`'s public key (once) and show it on its agents row if the row exists.

    Raises AuditKeyError when the author already registered a different key,
    or is a reserved name (the control plane's key is pinned at deploy instead).
    """
    if signer.author in RESERVED_AUTHORS:
        raise AuditKeyError(
            f"{signer.author!r} is a reserved name: its key is pinned at deploy "
            "(BZZZ_AUDIT_PUBLIC_KEY), never registered"
        )
    store = AuditStore(settings)
    for author, key in registrations(store.stream(KEYS_STREAM)):
        if author == signer.author:
            if key != signer.public_key:
                raise AuditKeyError(
                    f"{signer.author} already registered another key; "
                    "a runner that lost its key must register under a new agent id"
                )
            break
    else:
        AuditLog(settings, signer).append(
            KEYS_STREAM, KEY_REGISTERED, {"public_key": signer.public_key}
        )
    try:
        aws.client("dynamodb", settings).update_item(
            TableName=settings.agents_table,
            Key={"agent_id": {"S": signer.author}},
            UpdateExpression="SET public_key = :k",
            # Never create a half row: the runner's registration owns the row.
            ConditionExpression="attribute_exists(agent_id)",
            ExpressionAttributeValues={":k": {"S": signer.public_key}},
        )
    except ClientError as exc:
        if not condition_failed(exc):
            raise AuditStoreError(f"cannot publish the key of {signer.author}: {exc}") from exc
    except BotoCoreError as exc:
        raise AuditStoreError(f"cannot publish the key of {signer.author}: {exc}") from exc


def _agents_with_keys(settings: Settings) -> list[tuple[str, str]]:
    db = aws.client("dynamodb", settings)
    found: list[tuple[str, str]] = []
    page: dict[str, Any] = {}
    try:
        while True:
            reply = db.scan(
                TableName=settings.agents_table,
                ProjectionExpression="agent_id, public_key",
                ConsistentRead=True,
                **page,
            )
            for item in reply["Items"]:
                key = item.get("public_key", {}).get("S")
                if key:
                    found.append((item["agent_id"]["S"], key))
            if "LastEvaluatedKey" not in reply:
                return found
            page = {"ExclusiveStartKey": reply["LastEvaluatedKey"]}
    except (ClientError, BotoCoreError) as exc:
        raise AuditStoreError(
            f"cannot read the agents table {settings.agents_table}: {exc}"
        ) from exc
