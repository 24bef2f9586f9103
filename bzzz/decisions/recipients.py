"""Who may read decision records: age recipients per repository owner and role, and the admin.

The runner reads this file (BZZZ_DECISION_RECIPIENTS names it): public keys
only, so a runner host never holds anything that opens a record. YAML (or JSON):

    admin: age1...              # the admin identity's recipient: every record, always
    owners:
      acme:                     # a repository owner (GitHub login, any case)
        maintainers: [age1..., age1...]
        security: [age1...]
        operators: [age1...]
      "*":                      # owners not listed (optional)
        operators: [age1...]

A record of `acme/widgets` is encrypted to the admin and to every recipient of
every role configured for `acme` (else for "*"); the roles it was encrypted to
are in the record's metadata. Every mistake is a RecipientsError naming the
field's path, e.g. `owners.acme.security[1]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bzzz.decisions.crypto import check_recipient
from bzzz.decisions.errors import RecipientsError

ROLES = ("maintainers", "security", "operators")
ADMIN = "admin"
ANY_OWNER = "*"
MAX_FILE_BYTES = 1_000_000
VARIABLE = "BZZZ_DECISION_RECIPIENTS"


@dataclass(frozen=True)
class Readers:
    """The recipients of one record: the admin's, and each role's."""

    admin: str
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def role_names(self) -> list[str]:
        return sorted(self.roles)

    @property
    def recipients(self) -> list[str]:
        keys = [self.admin, *(key for role in self.role_names for key in self.roles[role])]
        return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class Recipients:
    admin: str
    owners: Mapping[str, Mapping[str, tuple[str, ...]]]

    def readers(self, repo: str) -> Readers:
        """Who reads a record of `repo` (owner/name): the admin, and the owner's roles."""
        owner = repo.partition("/")[0].lower()
        roles = self.owners.get(owner, self.owners.get(ANY_OWNER, {}))
        return Readers(self.admin, {role: keys for role, keys in roles.items() if keys})


def load_recipients(path: str | Path) -> Recipients:
    """Read and check the recipients file; RecipientsError naming the bad field."""
    import yaml

    source = Path(path)
    try:
        with source.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise RecipientsError(VARIABLE, f"cannot read {source}: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise RecipientsError(VARIABLE, f"{source} is over {MAX_FILE_BYTES} bytes")
    try:
        document = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RecipientsError(VARIABLE, f"{source} is not YAML: {exc}") from None
    return parse_recipients(document)


def parse_recipients(document: Any) -> Recipients:
    if not isinstance(document, dict):
        raise RecipientsError("$", "must be a mapping with `admin` and `owners`")
    unknown = sorted(str(k) for k in document if k not in (ADMIN, "owners"))
    if unknown:
        raise RecipientsError(unknown[0], "unknown field (known: admin, owners)")
    if ADMIN not in document:
        raise RecipientsError(ADMIN, "missing: the admin identity's recipient (age1...)")
    admin = check_recipient(document[ADMIN], ADMIN)
    owners_raw = document.get("owners") or {}
    if not isinstance(owners_raw, dict):
        raise RecipientsError("owners", "must be a mapping of owner -> roles")
    owners: dict[str, dict[str, tuple[str, ...]]] = {}
    for owner, roles_raw in owners_raw.items():
        name = str(owner).strip().lower()
        where = f"owners.{owner}"
        if not name or (name != ANY_OWNER and not _is_login(name)):
            raise RecipientsError(where, 'must be a GitHub login or "*"')
        if name in owners:
            raise RecipientsError(where, "listed twice (owners are compared in lower case)")
        owners[name] = _roles(roles_raw, where)
    return Recipients(admin, owners)


def _roles(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise RecipientsError(where, f"must map roles ({', '.join(ROLES)}) to recipients")
    roles: dict[str, tuple[str, ...]] = {}
    for role, keys in raw.items():
        path = f"{where}.{role}"
        if role not in ROLES:
            raise RecipientsError(path, f"unknown role (known: {', '.join(ROLES)})")
        if isinstance(keys, str):
            keys = [keys]
        if not isinstance(keys, list):
            raise RecipientsError(path, "must be a list of age recipients")
        roles[role] = tuple(check_recipient(k, f"{path}[{i}]") for i, k in enumerate(keys))
    return roles


def _is_login(name: str) -> bool:
    from bzzz.tasks.keys import REPO_PATTERN

    return REPO_PATTERN.fullmatch(f"{name}/x") is not None
