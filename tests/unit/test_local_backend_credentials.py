"""Which credentials the local backend hands its clients (and the provision command)."""

from __future__ import annotations

from infra.local_backend.clients import DUMMY_CREDENTIALS, caller_credentials


def test_the_callers_key_secret_and_token_are_kept():
    environ = {
        "AWS_ACCESS_KEY_ID": "AKIDCALLER",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
        "AWS_PROFILE": "ignored",
    }
    assert caller_credentials(environ) == {
        "AWS_ACCESS_KEY_ID": "AKIDCALLER",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
    }


def test_no_credentials_or_half_of_them_means_the_dummies():
    assert caller_credentials({}) == DUMMY_CREDENTIALS
    assert caller_credentials({"AWS_ACCESS_KEY_ID": "AKIDCALLER"}) == DUMMY_CREDENTIALS
    assert caller_credentials({"AWS_ACCESS_KEY_ID": " ", "AWS_SECRET_ACCESS_KEY": "s"}) == (
        DUMMY_CREDENTIALS
    )
