"""Canonical encoding (RFC 8785 subset), hashing and signatures: no servers."""

from __future__ import annotations

import json

import pytest

from bzzz.audit import GENESIS, AuditDataError, Signer, canonical, entry_hash
from bzzz.audit.keys import signature_valid


def test_stable_across_key_order():
    one = {"b": 1, "a": [1, {"y": None, "x": True}], "c": "z"}
    two = {"c": "z", "a": [1, {"x": True, "y": None}], "b": 1}
    assert canonical(one) == canonical(two) == b'{"a":[1,{"x":true,"y":null}],"b":1,"c":"z"}'


def test_unicode_is_utf8_not_escaped_and_controls_are():
    assert canonical({"k": "é€😀"}) == '{"k":"é€😀"}'.encode()
    assert canonical('a\n\t\x01"\\') == b'"a\\n\\t\\u0001\\"\\\\"'


def test_keys_sort_by_utf16_code_units_as_rfc8785_says():
    # U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB01 (a code point sort would not).
    value = {"\ufb01": 1, "\U0001f600": 2, "a": 3}
    assert canonical(value) == '{"a":3,"😀":2,"ﬁ":1}'.encode()


def test_encoding_parses_back_to_the_same_value():
    encoded = canonical({"numbers": [333333333, 4, True, 0, -1], "string": "€$\u000f\nA'B\"\\"})
    assert json.loads(encoded) == {
        "numbers": [333333333, 4, True, 0, -1],
        "string": "€$\x0f\nA'B\"\\",
    }
    assert b" " not in encoded


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"t": 1.5}, "floats"),
        ({"n": 2**53}, "outside"),
        ({1: "x"}, "not a string"),
        ({"s": {1, 2}}, "not a JSON value"),
        ({"s": "\ud800"}, "lone surrogate"),
    ],
)
def test_values_without_a_stable_encoding_are_refused(value, problem):
    with pytest.raises(AuditDataError, match=problem):
        canonical(value)


def body(**changes):
    base = {"stream": "o/r#1", "seq": 1, "ts": 1, "author": "a", "type": "task.claim",
            "data": {"x": 1}, "prev_hash": GENESIS}  # fmt: skip
    return {**base, **changes}


def test_hash_covers_every_body_field():
    reference = entry_hash(body())
    changes = {"stream": "o/r#2", "seq": 2, "ts": 2, "author": "b", "type": "task.start",
               "data": {"x": 2}, "prev_hash": "1" * 64}  # fmt: skip
    for field, other in changes.items():
        assert entry_hash(body(**{field: other})) != reference, field
    assert entry_hash({**body(), "hash": "ignored"}) == reference


def test_signature_checks_out_only_with_the_signers_key():
    signer, other = Signer.generate("a"), Signer.generate("b")
    digest = entry_hash(body())
    signature = signer.sign(digest)
    assert signature_valid(signer.public_key, digest, signature)
    assert not signature_valid(other.public_key, digest, signature)
    assert not signature_valid(signer.public_key, entry_hash(body(seq=2)), signature)
    assert not signature_valid(signer.public_key, digest, "not base64!")


def test_signer_round_trips_through_pem_and_raw_base64():
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    signer = Signer.generate("control-plane")
    assert Signer.from_text("control-plane", signer.pem().decode()).public_key == signer.public_key
    raw = signer._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    from_raw = Signer.from_text("control-plane", base64.b64encode(raw).decode())
    assert from_raw.public_key == signer.public_key
    assert "PRIVATE" not in repr(signer)


def test_fast_path_gives_the_same_bytes_as_the_reference_encoder():
    from bzzz.audit.canonical import _encode

    samples = [
        {"z": [1, -2, None, True, False, "", "\x7f\u2028"], "a": {"é": "x", "E": {"b": []}}},
        {"\uffff": 1, "\U0001f600": 2},  # needs UTF-16 order: takes the reference path
        ["a", ("b", "c"), {"k": {"k": {"k": "v"}}}],
        "tab\there",
        0,
    ]
    for value in samples:
        assert canonical(value) == _encode(value, "data").encode("utf-8"), value
