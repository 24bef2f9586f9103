"""Canonical encoding and hashing of audit entries.

The encoding is the JSON Canonicalization Scheme (RFC 8785) restricted to the
values an entry needs, so any language can recompute a hash:

- objects: keys sorted by their UTF-16 code units (RFC 8785 §3.2.3), no
  whitespace; keys must be strings;
- strings: UTF-8, escaping only `"`, `\\` and control characters (short forms
  \\b \\t \\n \\f \\r, else \\u00xx); lone surrogates are refused;
- integers: decimal, within ±(2**53 - 1) so that JavaScript reads them exactly;
- floats are refused: RFC 8785 would need ECMAScript number formatting, and a
  float that round-trips through another runtime may not come back identical.
  Encode times as integer milliseconds and other fractions as strings.

`entry_hash` is SHA-256 (lowercase hex) over the canonical encoding of the
entry's body: every field except `hash` and `signature`, `prev_hash` included.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from bzzz.audit.errors import AuditDataError

# prev_hash of every stream's first entry.
GENESIS = "0" * 64

_MAX_SAFE_INTEGER = 2**53 - 1

# The fields covered by `hash` (and through it by `signature`).
BODY_FIELDS = ("stream", "seq", "ts", "author", "type", "data", "prev_hash")


def canonical(value: Any) -> bytes:
    """The RFC 8785 encoding of `value` as UTF-8 bytes; AuditDataError if it has none."""
    try:
        if _checked(value, "data"):
            # Same bytes as _encode, several times faster: code point order equals
            # UTF-16 order when no key has a character at or above U+D800.
            text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        else:
            text = _encode(value, "data")
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AuditDataError(f"string is not valid Unicode (lone surrogate?): {exc}") from exc


def _checked(value: Any, path: str) -> bool:
    """Refuse what has no encoding; True when json.dumps(sort_keys=True) encodes it exactly."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise AuditDataError(f"{path}: integer {value} is outside ±(2**53-1); use a string")
        return True
    if isinstance(value, float):
        raise AuditDataError(f"{path}: floats have no stable encoding; use an integer or string")
    if isinstance(value, list | tuple):
        return all([_checked(item, f"{path}[{i}]") for i, item in enumerate(value)])
    if isinstance(value, dict):
        plain = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditDataError(f"{path}: object key {key!r} is not a string")
            plain = _checked(item, f"{path}.{key}") and plain and max(key, default="") < "\ud800"
        return plain
    if isinstance(value, Mapping):
        _encode(value, path)  # checks it; json.dumps does not take other mappings
        return False
    raise AuditDataError(f"{path}: {type(value).__name__} is not a JSON value")


def _encode(value: Any, path: str) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise AuditDataError(f"{path}: integer {value} is outside ±(2**53-1); use a string")
        return str(value)
    if isinstance(value, float):
        raise AuditDataError(f"{path}: floats have no stable encoding; use an integer or string")
    if isinstance(value, str):
        # json.dumps without ensure_ascii escapes exactly what RFC 8785 escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item, f"{path}[{i}]") for i, item in enumerate(value)) + "]"
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise AuditDataError(f"{path}: object key {key!r} is not a string")
        ordered = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        members = (f"{_encode(k, path)}:{_encode(value[k], f'{path}.{k}')}" for k in ordered)
        return "{" + ",".join(members) + "}"
    raise AuditDataError(f"{path}: {type(value).__name__} is not a JSON value")


def entry_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical body (the BODY_FIELDS of an entry)."""
    missing = [name for name in BODY_FIELDS if name not in body]
    if missing:
        raise AuditDataError(f"entry body lacks {missing}")
    return hashlib.sha256(canonical({name: body[name] for name in BODY_FIELDS})).hexdigest()
