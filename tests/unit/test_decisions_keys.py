"""Decision records' cryptography, in process: age to the roles, SLIP-39 shares of the admin key."""

from __future__ import annotations

import itertools

import pytest

from bzzz.decisions import (
    DecryptError,
    IdentityError,
    SharesError,
    generate_identity,
    recipient_of,
    recover_identity,
    split_identity,
)
from bzzz.decisions.crypto import decrypt, encrypt, identity_from_secret, identity_secret

PLAINTEXT = b'{"summary": "why the agent did what it did"}'


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    return {name: generate_identity() for name in ("admin", "maintainer", "security", "stranger")}


def test_every_recipient_reads_and_nobody_else(keys: dict[str, str]) -> None:
    readers = ["admin", "maintainer", "security"]
    ciphertext = encrypt(PLAINTEXT, [recipient_of(keys[name]) for name in readers])
    assert PLAINTEXT not in ciphertext
    for name in readers:
        assert decrypt(ciphertext, [keys[name]]) == PLAINTEXT
    with pytest.raises(DecryptError, match="is a recipient of this record"):
        decrypt(ciphertext, [keys["stranger"]])


@pytest.mark.parametrize("where", ["header", "payload", "last byte"])
def test_a_tampered_ciphertext_is_refused(keys: dict[str, str], where: str) -> None:
    ciphertext = bytearray(encrypt(PLAINTEXT, [recipient_of(keys["admin"])]))
    header_end = ciphertext.index(b"\n---") + 1
    at = {"header": header_end - 20, "payload": len(ciphertext) - 30, "last byte": -1}[where]
    ciphertext[at] ^= 0x01
    with pytest.raises(DecryptError, match="altered"):
        decrypt(bytes(ciphertext), [keys["admin"]])


def test_a_truncated_ciphertext_is_refused(keys: dict[str, str]) -> None:
    ciphertext = encrypt(PLAINTEXT * 100, [recipient_of(keys["admin"])])
    with pytest.raises(DecryptError):
        decrypt(ciphertext[:-17], [keys["admin"]])


def test_the_identity_travels_as_its_32_bytes_and_back(keys: dict[str, str]) -> None:
    secret = identity_secret(keys["admin"])
    assert len(secret) == 32
    assert identity_from_secret(secret) == keys["admin"]
    with pytest.raises(IdentityError):
        identity_secret(keys["admin"][:-1] + ("q" if keys["admin"][-1] != "Q" else "p"))


def test_any_k_of_n_shares_recover_the_admin_identity(keys: dict[str, str]) -> None:
    shares = split_identity(keys["admin"], 3, 5)
    assert len(shares) == 5 and len(set(shares)) == 5
    admin = recipient_of(keys["admin"])
    for chosen in itertools.combinations(shares, 3):
        assert recover_identity(chosen, expected_recipient=admin) == keys["admin"]
    # More than K (every trustee came) is fine too.
    assert recover_identity(shares, expected_recipient=admin) == keys["admin"]


def test_shares_as_split_prints_them_are_accepted(keys: dict[str, str]) -> None:
    shares = split_identity(keys["admin"], 2, 3)
    pasted = [f"share 3/3: {shares[2].upper()}", f"  share 1/3:   {shares[0]}  "]
    assert recover_identity(pasted) == keys["admin"]


def test_k_minus_one_shares_recover_nothing(keys: dict[str, str]) -> None:
    shares = split_identity(keys["admin"], 3, 5)
    for chosen in itertools.combinations(shares, 2):
        with pytest.raises(SharesError, match="fewer than the threshold") as caught:
            recover_identity(chosen)
        assert not any(word in str(caught.value) for word in chosen[0].split()[:3])
    # The same share twice is still one share.
    with pytest.raises(SharesError, match="2 distinct"):
        recover_identity([shares[0], shares[1], shares[0]])


def test_shares_of_two_splits_do_not_mix(keys: dict[str, str]) -> None:
    ours = split_identity(keys["admin"], 2, 3)
    theirs = split_identity(keys["security"], 2, 3)
    with pytest.raises(SharesError, match="same split"):
        recover_identity([ours[0], theirs[1]])


def test_a_wrong_passphrase_is_caught_by_the_admin_recipient(keys: dict[str, str]) -> None:
    shares = split_identity(keys["admin"], 2, 3, passphrase="correct horse")
    admin = recipient_of(keys["admin"])
    assert recover_identity(shares[:2], "correct horse", expected_recipient=admin) == keys["admin"]
    with pytest.raises(SharesError, match="other than the configured admin"):
        recover_identity(shares[:2], "wrong", expected_recipient=admin)


def test_a_mistyped_word_is_named_without_echoing_the_share(keys: dict[str, str]) -> None:
    shares = split_identity(keys["admin"], 2, 3)
    words = shares[0].split()
    words[5] = "zzzz"
    with pytest.raises(SharesError, match="not a SLIP-39 mnemonic"):
        recover_identity([" ".join(words), shares[1]])


@pytest.mark.parametrize(("k", "n", "field"), [(1, 3, "threshold"), (4, 3, "threshold"),
                                               (2, 17, "count")])  # fmt: skip
def test_a_split_without_a_real_threshold_is_refused(
    keys: dict[str, str], k: int, n: int, field: str
) -> None:
    with pytest.raises(SharesError) as caught:
        split_identity(keys["admin"], k, n)
    assert caught.value.field == field
