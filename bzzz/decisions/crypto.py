"""age encryption of records (through pyrage), and the admin identity as 32 bytes.

age authenticates its payload: a ciphertext altered anywhere fails to decrypt,
it is never half-read. It does not authenticate the *sender*: anyone holding
the public recipients can encrypt a record. Who wrote a record is shown by the
audit stream instead (bzzz.decisions.binding: the runner signs the record's
digest there).

An X25519 identity is `AGE-SECRET-KEY-1…`, Bech32 over 32 secret bytes. SLIP-39
splits bytes, so the admin identity travels as those 32 bytes
(`identity_secret`, `identity_from_secret`): the Bech32 code here is BIP-173's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bzzz.decisions.errors import DecryptError, IdentityError, RecipientsError

IDENTITY_HRP = "age-secret-key-"
RECIPIENT_HRP = "age"
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def generate_identity() -> str:
    """A new X25519 identity (`AGE-SECRET-KEY-1…`)."""
    from pyrage import x25519

    return str(x25519.Identity.generate())


def recipient_of(identity: str) -> str:
    """The public recipient (`age1…`) of an identity; IdentityError when it is malformed."""
    return str(_identity(identity).to_public())


def check_recipient(text: str, field: str) -> str:
    """`text` when it is an X25519 recipient `age1…`; RecipientsError naming `field` otherwise."""
    from pyrage import RecipientError, x25519

    if not isinstance(text, str) or not text.startswith("age1"):
        raise RecipientsError(field, "must be an age X25519 recipient (age1...)")
    try:
        x25519.Recipient.from_str(text)
    except RecipientError as exc:
        raise RecipientsError(field, f"not a valid age recipient ({exc})") from None
    return text


def encrypt(plaintext: bytes, recipients: Sequence[str]) -> bytes:
    """age ciphertext (binary format) that any one of `recipients` can open."""
    from pyrage import encrypt as age_encrypt
    from pyrage import x25519

    if not recipients:
        raise RecipientsError("recipients", "a record needs at least one recipient")
    keys = [x25519.Recipient.from_str(r) for r in recipients]
    return bytes(age_encrypt(plaintext, keys))


def decrypt(ciphertext: bytes, identities: Sequence[str]) -> bytes:
    """The plaintext, or DecryptError: no identity is a recipient, or the ciphertext was altered."""
    from pyrage import DecryptError as AgeDecryptError
    from pyrage import decrypt as age_decrypt

    keys = [_identity(i) for i in identities]
    try:
        return bytes(age_decrypt(ciphertext, keys))
    except AgeDecryptError as exc:
        # age says "No matching keys found" for a stranger's identity, and a bare
        # "decryption error" for a header or payload whose authentication fails.
        if "no matching keys" in str(exc).lower():
            raise DecryptError(
                "none of the given identities is a recipient of this record"
            ) from None
        raise DecryptError("the record's ciphertext fails age's authentication: altered") from None


def _identity(text: str) -> Any:
    from pyrage import IdentityError as AgeIdentityError
    from pyrage import x25519

    try:
        return x25519.Identity.from_str(text.strip())
    except (AgeIdentityError, ValueError) as exc:
        raise IdentityError("identity", f"not an age X25519 identity ({exc})") from None


# ----- the identity as bytes, for SLIP-39 ---------------------------------------


def identity_secret(identity: str) -> bytes:
    """The 32 secret bytes of an `AGE-SECRET-KEY-1…` identity."""
    _identity(identity)  # age's own check first
    hrp, data = _bech32_decode(identity.strip().lower())
    secret = bytes(_convert_bits(data, 5, 8, pad=False))
    if hrp != IDENTITY_HRP or len(secret) != 32:
        raise IdentityError("identity", "not a 32-byte X25519 identity")
    return secret


def identity_from_secret(secret: bytes) -> str:
    """The `AGE-SECRET-KEY-1…` identity of 32 secret bytes (what age itself prints)."""
    if len(secret) != 32:
        raise IdentityError("identity", f"an X25519 secret is 32 bytes, not {len(secret)}")
    data = _convert_bits(secret, 8, 5, pad=True)
    text = _bech32_encode(IDENTITY_HRP, data).upper()
    _identity(text)
    return text


def _polymod(values: Sequence[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            checksum ^= _GENERATOR[i] if (top >> i) & 1 else 0
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _bech32_encode(hrp: str, data: Sequence[int]) -> str:
    values = _hrp_expand(hrp) + list(data)
    polymod = _polymod([*values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in [*data, *checksum])


def _bech32_decode(text: str) -> tuple[str, list[int]]:
    hrp, _, rest = text.rpartition("1")
    if not hrp or len(rest) < 6 or any(c not in _CHARSET for c in rest):
        raise IdentityError("identity", "not Bech32")
    data = [_CHARSET.index(c) for c in rest]
    if _polymod(_hrp_expand(hrp) + data) != 1:
        raise IdentityError("identity", "its Bech32 checksum is wrong")
    return hrp, data[:-6]


def _convert_bits(data: Sequence[int], source: int, target: int, *, pad: bool) -> list[int]:
    accumulator, bits, out = 0, 0, []
    mask = (1 << target) - 1
    for value in data:
        accumulator = (accumulator << source) | value
        bits += source
        while bits >= target:
            bits -= target
            out.append((accumulator >> bits) & mask)
    if pad and bits:
        out.append((accumulator << (target - bits)) & mask)
    elif not pad and (bits >= source or (accumulator << (target - bits)) & mask):
        raise IdentityError("identity", "its Bech32 padding is wrong")
    return out
