"""`setup:` in .bzzz.yml: a list of steps, or a mapping with steps, network, timeout, files."""

from __future__ import annotations

from runner.prepare.spec import DEFAULT_FINGERPRINT_FILES
from runner.repo_config import parse_repo_config


def test_a_list_or_one_command_are_the_steps_with_the_defaults():
    config = parse_repo_config("setup:\n  - pip install -e .\n  - make deps\n")
    assert config.setup == ("pip install -e .", "make deps")
    assert (config.setup_network, config.setup_timeout, config.fingerprint_files) == (
        True, None, (),
    )  # fmt: skip
    assert parse_repo_config("setup: make deps\n").setup == ("make deps",)
    assert "requirements*.txt" in DEFAULT_FINGERPRINT_FILES


def test_the_mapping_form_sets_each_field():
    config = parse_repo_config(
        """
setup:
  steps: [pip install -r requirements.txt]
  network: false
  timeout: 600
  fingerprint_files: [requirements*.txt, deps/lock.json]
"""
    )
    assert config.problems == ()
    assert config.setup == ("pip install -r requirements.txt",)
    assert config.setup_network is False and config.setup_timeout == 600.0
    assert config.fingerprint_files == ("requirements*.txt", "deps/lock.json")


def test_each_bad_setup_field_is_named_and_its_value_never_repeated():
    config = parse_repo_config(
        """
setup:
  steps: make
  network: "sometimes"
  timeout: -5
  fingerprint_files: [../../etc/passwd, "/abs/path", "ok*/x.txt"]
  colour: teal
"""
    )
    assert config.setup == ("make",)  # the good field applies
    assert config.setup_network is True and config.setup_timeout is None
    assert config.fingerprint_files == ()
    assert config.problems == (
        "`setup.network`: must be true or false, not a string; the default is used",
        "`setup.timeout`: must be positive; the default is used",
        "`setup.fingerprint_files`: must be relative paths of letters, digits, . _ - "
        "(wildcards in the file name only); the default is used",
        "`setup`: an unknown field on line 7 (known: steps, network, timeout, fingerprint_files)",
    )
    for said in ("sometimes", "passwd", "abs", "colour", "teal", "-5"):
        assert not any(said in p for p in config.problems), said


def test_a_mapping_without_steps_or_a_bad_list_is_named():
    assert parse_repo_config("setup: {network: true}\n").problems == (
        "`setup`: a mapping needs `steps` (a command or a list of commands)",
    )
    config = parse_repo_config("setup: [1, 2]\n")
    assert config.setup == ()
    assert config.problems == (
        "`setup`: must be a command or a list of commands, not a list; no setup is run",
    )
    assert parse_repo_config("setup: {steps: [make, 3]}\n").problems == (
        "`setup.steps`: must be a command or a list of commands, not a list; the default is used",
    )
