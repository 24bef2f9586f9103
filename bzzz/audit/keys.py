"""Ed25519 keys: signing an entry's hash, checking a signature, the runner's key file.

Public keys travel as text: `ed25519:` + standard base64 of the 32 raw bytes.
Signatures are standard base64 of the 64-byte Ed25519 signature over the 32
raw bytes of the entry's SHA-256 hash. `cryptography` is imported on first use,
so importing this module costs nothing at a Lambda's cold start.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bzzz.audit.errors import AuditKeyError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_PREFIX = "ed25519:"


class Signer:
    """An author's private key; `author` is the id its entries carry."""

    def __init__(self, author: str, private_key: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        if not author:
            raise AuditKeyError("a signer needs a non-empty author id")
        self.author = author
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = _PREFIX + base64.b64encode(raw).decode("ascii")

    @classmethod
    def generate(cls, author: str) -> Signer:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(author, Ed25519PrivateKey.generate())

    @classmethod
    def from_text(cls, author: str, text: str) -> Signer:
        """From a PKCS#8 PEM, or from standard base64 of the 32-byte raw private key."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                key = load_pem_private_key(text.encode("ascii"), password=None)
            else:
                key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise AuditKeyError(f"the signing key of {author} is unreadable: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError(f"the signing key of {author} is not an Ed25519 key")
        return cls(author, key)

    def pem(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        return self._key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    def sign(self, digest_hex: str) -> str:
        return base64.b64encode(self._key.sign(bytes.fromhex(digest_hex))).decode("ascii")

    def sign_bytes(self, message: bytes) -> bytes:
        """A raw signature of `message` (token requests, bzzz.credentials.signing)."""
        return self._key.sign(message)

    def __repr__(self) -> str:  # never print the private key
        return f"Signer(author={self.author!r}, public_key={self.public_key!r})"


def signature_valid(public_key: str, digest_hex: str, signature: str) -> bool:
    """Whether `signature` is `public_key`'s signature of the hash; malformed input is False."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not public_key.startswith(_PREFIX):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key[len(_PREFIX) :]))
        key.verify(base64.b64decode(signature, validate=True), bytes.fromhex(digest_hex))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def verify_bytes(public_key: str, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is `public_key`'s raw signature of `message`; malformed is False."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not public_key.startswith(_PREFIX):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key[len(_PREFIX) :]))
        key.verify(signature, message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def load_or_create_key(path: str | os.PathLike[str], author: str) -> Signer:
    """The runner's key at `path`, made (mode 0600) on first start.

    Creation is atomic: the key is written to a private temporary file and
    linked into place, so two processes starting together end up with the
    same key and nobody ever reads half a file. An existing key readable by
    group or others is refused, as ssh refuses one.
    """
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".audit-key-")
        try:
            with os.fdopen(fd, "wb") as handle:  # mkstemp makes it 0600
                handle.write(Signer.generate(author).pem())
            # If another process linked its key first, use that one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, target)
        finally:
            os.unlink(temporary)
    mode = stat.S_IMODE(target.stat().st_mode)
    if mode & 0o077:
        raise AuditKeyError(f"{target} is accessible by others (mode {mode:o}); chmod 600 it")
    try:
        text = target.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyError(f"cannot read {target}: {exc}") from exc
    return Signer.from_text(author, text)
