"""The signature GitHub puts on every delivery, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value of `body` under `secret`."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """True when `signature` is `sha256=` + HMAC-SHA256 of the raw body under `secret`.

    The comparison takes the same time wherever the first difference is, so a
    caller cannot learn the signature byte by byte; a missing or malformed
    signature is simply false. An empty secret verifies nothing.
    """
    if not secret or not signature or not signature.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode())
