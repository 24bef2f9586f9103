"""The admin identity split among trustees with SLIP-39 (shamir-mnemonic), and put back together.

`split_identity` makes N mnemonic shares of which any K recover the identity;
K−1 tell nothing about it (Shamir's scheme over the 32 secret bytes). An
optional passphrase is part of SLIP-39: the same shares with another passphrase
give another secret, so `recover_identity` checks the result against the admin
recipient the deployment is configured with, and says so when it differs.

Nothing here touches a disk: the recovered identity is a string the caller
holds in memory for as long as one command runs (cli/decisions.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bzzz.decisions.crypto import identity_from_secret, identity_secret, recipient_of
from bzzz.decisions.errors import SharesError

MAX_SHARES = 16  # SLIP-39's limit per group
_LABEL = re.compile(r"^share \d+/\d+:\s*", re.IGNORECASE)


def split_identity(identity: str, threshold: int, count: int, passphrase: str = "") -> list[str]:
    """`count` SLIP-39 mnemonics of `identity`, any `threshold` of which recover it."""
    import shamir_mnemonic

    if not 2 <= threshold <= count:
        raise SharesError("threshold", f"must be at least 2 and at most the count ({count})")
    if count > MAX_SHARES:
        raise SharesError("count", f"SLIP-39 allows at most {MAX_SHARES} shares")
    secret = identity_secret(identity)
    groups = shamir_mnemonic.generate_mnemonics(
        1, [(threshold, count)], secret, passphrase.encode("utf-8")
    )
    return list(groups[0])


def recover_identity(
    mnemonics: Iterable[str], passphrase: str = "", *, expected_recipient: str | None = None
) -> str:
    """The identity K shares recover; SharesError when they are too few, malformed or mixed.

    With `expected_recipient` (the configured admin recipient), an identity of
    another key (a wrong passphrase, shares of an old split) is refused.
    """
    import shamir_mnemonic

    # A share typed twice counts once: the threshold is of distinct shares. The label
    # `split` prints before each share ("share 2/5: ") may come along when pasted.
    words = (_LABEL.sub("", " ".join(m.split())) for m in mnemonics if m.strip())
    shares = list(dict.fromkeys(w.lower() for w in words if w))
    if not shares:
        raise SharesError("shares", "no share given")
    shares = _threshold_many(shares)
    try:
        secret = shamir_mnemonic.combine_mnemonics(shares, passphrase.encode("utf-8"))
    except shamir_mnemonic.MnemonicError as exc:
        # Its text quotes the first words of a share: never echo those.
        raise SharesError("shares", _reason(str(exc), len(shares))) from None
    identity = identity_from_secret(secret)
    if expected_recipient is not None and recipient_of(identity) != expected_recipient:
        raise SharesError(
            "shares",
            "they recover a key other than the configured admin recipient "
            "(a wrong passphrase, or shares of an earlier split)",
        )
    return identity


def _threshold_many(shares: list[str]) -> list[str]:
    """Exactly the threshold's number of shares (SLIP-39 refuses more), all of one split."""
    import shamir_mnemonic

    parsed = []
    for number, share in enumerate(shares, 1):
        try:
            parsed.append(shamir_mnemonic.Share.from_mnemonic(share))
        except shamir_mnemonic.MnemonicError as exc:
            raise SharesError(f"shares[{number}]", _reason(str(exc), len(shares))) from None
    if len({(p.identifier, p.group_index, p.member_threshold) for p in parsed}) > 1:
        raise SharesError("shares", "the shares are not all from the same split")
    if len({p.index for p in parsed}) < len(parsed):
        raise SharesError("shares", "two different shares claim the same index (altered?)")
    threshold = parsed[0].member_threshold
    if len(parsed) < threshold:
        raise SharesError("shares", f"{len(parsed)} distinct share(s) given, fewer than the "
                          f"threshold ({threshold}): nothing is recovered")  # fmt: skip
    return shares[:threshold]


def _reason(text: str, given: int) -> str:
    lowered = text.lower()
    if "wrong number of mnemonics" in lowered or "insufficient" in lowered:
        return f"{given} distinct share(s) given, fewer than the threshold: nothing is recovered"
    if "checksum" in lowered:
        return "a share's checksum is wrong (a mistyped word?)"
    if "identifier" in lowered or "do not match" in lowered or "must be" in lowered:
        return "the shares are not all from the same split"
    if "word" in lowered or "invalid" in lowered or "length" in lowered:
        return "a share is not a SLIP-39 mnemonic"
    return "the shares do not combine"
