"""What the issue is told about setup, and the operator's settings for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bzzz.errors import ConfigError
from runner.agent import types
from runner.prepare.errors import FingerprintError, SetupFailedError
from runner.prepare.report import setup_failed_comment, setup_hint
from runner.prepare.settings import PrepareSettings, load_prepare_settings


def test_a_failed_step_is_named_and_its_tail_fenced_and_neutralised():
    tail = "x" * 5000 + "\nERROR: @octocat fixes #3 ```"
    body = setup_failed_comment(SetupFailedError("pip install -r requirements.txt", 1, tail))
    assert body.startswith(
        "Bzzz could not prepare this repository's dependencies: "
        "setup failed: `pip install -r requirements.txt` (exit 1)."
    )
    assert "````\n" in body  # a fence longer than any run of backticks inside
    assert "@octocat" not in body and "fixes #3" not in body
    assert "x" * 3001 not in body  # only the tail
    assert "/bzzz retry" in body


def test_a_fingerprint_problem_has_no_output_block():
    body = setup_failed_comment(FingerprintError("`requirements.txt` is not a regular file"))
    assert "setup failed: a dependency file `requirements.txt` is not a regular file" in body
    assert "```" not in body


def _failed(output: str) -> types.Outcome:
    return types.Outcome("budget", "out of steps", test=types.TestRun("pytest", 1, output))


def test_the_hint_comes_for_a_missing_module_in_a_repository_listing_dependencies(tmp_path: Path):
    missing = _failed("E   ModuleNotFoundError: No module named 'requests'")
    assert setup_hint(tmp_path, missing) is None  # no dependency file: nothing to suggest
    (tmp_path / "requirements.txt").write_text("requests\n")
    hint = setup_hint(tmp_path, missing)
    assert hint is not None and "`requirements.txt`" in hint and "setup:" in hint
    assert setup_hint(tmp_path, _failed("AssertionError: 2 != 3")) is None
    assert setup_hint(tmp_path, types.Outcome("budget", "no test run")) is None


def test_the_settings_default_and_are_checked(tmp_path: Path):
    assert load_prepare_settings({}) == PrepareSettings()
    settings = load_prepare_settings(
        {"BZZZ_SETUP_NETWORK": "off", "BZZZ_WHEELHOUSE": str(tmp_path),
         "BZZZ_MAX_SETUP_SECONDS": "60", "BZZZ_PREP_KEEP": "3"}
    )  # fmt: skip
    assert settings == PrepareSettings(network=False, wheelhouse=tmp_path, max_seconds=60, keep=3)
    with pytest.raises(ConfigError, match="BZZZ_WHEELHOUSE"):
        load_prepare_settings({"BZZZ_WHEELHOUSE": str(tmp_path / "missing")})
    named = load_prepare_settings({"BZZZ_SETUP_NETWORK": "bzzz-proxied"})
    assert (named.network, named.network_name) == (True, "bzzz-proxied")
    assert load_prepare_settings({"BZZZ_SETUP_NETWORK": "On"}).network_name is None
    with pytest.raises(ConfigError, match="BZZZ_SETUP_NETWORK"):
        load_prepare_settings({"BZZZ_SETUP_NETWORK": "two words"})
    with pytest.raises(ConfigError, match="BZZZ_MAX_SETUP_SECONDS"):
        load_prepare_settings({"BZZZ_MAX_SETUP_SECONDS": "0"})
