"""The dashboard's signed session cookies and the access they carry."""

from __future__ import annotations

import pytest

from bzzz.dashboard import Access, ForbiddenError
from handlers.http_app.dashboard import session

KEY = "k" * 32
BOB = Access(
    "bob", readable=frozenset({"acme/calc", "acme/web"}), writable=frozenset({"acme/calc"})
)


def test_a_session_round_trips_and_carries_its_access():
    payload = session.new_session(BOB, now=1000.0)
    back = session.unsign(KEY, session.sign(KEY, payload), now=1001.0)
    assert back is not None and session.access_of(back) == BOB
    assert session.csrf_ok(back, payload["csrf"]) and not session.csrf_ok(back, "other")
    assert not session.csrf_ok(back, None) and not session.csrf_ok({}, "")


@pytest.mark.parametrize("change", ["expired", "other key", "body", "mac", "junk"])
def test_an_expired_forged_or_mangled_cookie_is_nobody(change):
    value = session.sign(KEY, session.new_session(BOB, now=1000.0))
    body, mac = value.split(".")
    now, key = 1001.0, KEY
    if change == "expired":
        now = 1000.0 + session.LIFETIME_SECONDS
    elif change == "other key":
        key = "x" * 32
    elif change == "body":
        value = body[:-1] + ("A" if body[-1] != "A" else "B") + "." + mac
    elif change == "mac":
        value = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
    else:
        value = "not-a-cookie"
    assert session.unsign(key, value, now=now) is None


def test_a_mac_spelled_otherwise_is_refused():
    """The last of a MAC's 43 base64 characters carries 4 bits and 2 unused ones: a
    spelling that differs in those decodes to the same bytes, and is refused all the same."""
    value = session.sign(KEY, session.new_session(BOB, now=1000.0))
    body, mac = value.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(mac[-1])
    twin = body + "." + mac[:-1] + alphabet[last ^ 1]  # only an unused bit changed
    assert session._unb64(twin.split(".")[1]) == session._unb64(mac)
    assert session.unsign(KEY, value, now=1001.0) is not None
    assert session.unsign(KEY, twin, now=1001.0) is None


def test_readers_writers_and_operators():
    assert BOB.reads("ACME/Calc") and BOB.writes("acme/calc") and not BOB.writes("acme/web")
    assert not BOB.reads("zeta/secret")
    with pytest.raises(ForbiddenError, match="no such task"):
        BOB.require_read("zeta/secret")
    with pytest.raises(ForbiddenError, match="cannot write"):
        BOB.require_write("acme/web")
    operator = Access.for_operator()
    assert operator.reads("zeta/secret") and operator.writes("zeta/secret")


def test_the_cookie_options_are_httponly_secure_and_lax():
    options = session.cookie_options(60)
    assert (options["httponly"], options["secure"], options["samesite"]) == (True, True, "lax")
