"""`.bzzz.yml`: typed settings with defaults; a bad field is named and replaced by its default."""

from __future__ import annotations

from pathlib import Path

from runner.agent.budgets import Budgets
from runner.repo_config import RepoConfig, load_repo_config, parse_repo_config

FULL = """
image: ghcr.io/acme/ci:3.12
setup:
  - pip install -e .
  - make deps
test: python -m pytest -q
budgets:
  iterations: 12
  wall_clock_seconds: 900
  tokens: 200000
branch_prefix: agents/
model: qwen2.5-coder:14b
num_ctx: 16384
command_timeout: 120
"""


def test_a_missing_file_gives_the_defaults(tmp_path: Path):
    assert load_repo_config(tmp_path) == RepoConfig()
    assert RepoConfig().branch_prefix == "bzzz/"
    assert RepoConfig().budgets == Budgets()


def test_every_field_is_read(tmp_path: Path):
    (tmp_path / ".bzzz.yml").write_text(FULL)
    config = load_repo_config(tmp_path)
    assert config.problems == ()
    assert config.image == "ghcr.io/acme/ci:3.12"
    assert config.setup == ("pip install -e .", "make deps")
    assert config.test_command == "python -m pytest -q"
    assert config.budgets == Budgets(iterations=12, wall_clock_seconds=900.0, tokens=200_000)
    assert config.branch_prefix == "agents/"
    assert (config.model, config.num_ctx, config.command_timeout) == (
        "qwen2.5-coder:14b",
        16384,
        120.0,
    )


def test_an_empty_file_gives_the_defaults():
    assert parse_repo_config("") == RepoConfig()
    assert parse_repo_config("# only a comment\n") == RepoConfig()


def test_bad_yaml_gives_the_defaults_and_one_problem():
    config = parse_repo_config("image: [unclosed\ntest: x\n")
    assert config == RepoConfig(problems=config.problems)
    assert len(config.problems) == 1 and "not valid YAML (line" in config.problems[0]


def test_a_list_at_the_top_is_not_a_config():
    config = parse_repo_config("- image: x\n")
    assert config.problems == (".bzzz.yml: must be a mapping of settings",)
    assert config.image is None


def test_each_bad_field_is_named_and_the_good_ones_apply():
    config = parse_repo_config(
        """
image: "has spaces in it"
setup: {pip: install}
test: python3 -m unittest
budgets:
  iterations: -3
  wall_clock_seconds: "ten minutes"
  tokens: 5000
  coffee: 2
branch_prefix: ../escape
num_ctx: true
colour: blue
"""
    )
    assert config.test_command == "python3 -m unittest"
    assert config.budgets == Budgets(tokens=5000)  # the good budget applies, the bad ones default
    assert config.image is None and config.setup == () and config.branch_prefix == "bzzz/"
    assert config.num_ctx is None
    named = [p.split(":")[0] for p in config.problems]
    assert named == [
        "`image`", "`setup`", "`budgets.iterations`", "`budgets.wall_clock_seconds`",
        "`budgets.coffee`", "`branch_prefix`", "`num_ctx`", "`colour`",
    ]  # fmt: skip
    assert "`budgets.iterations`: must be positive, not -3; the default is used" in config.problems
    assert any(
        p.startswith("`num_ctx`: must be a whole number, not bool True") for p in config.problems
    )
    assert any(p.startswith("`colour`: unknown field (known: ") for p in config.problems)


def test_budgets_must_be_a_mapping_and_setup_may_be_one_command():
    config = parse_repo_config("budgets: 10\nsetup: make deps\n")
    assert config.setup == ("make deps",)
    assert config.budgets == Budgets()
    assert config.problems == (
        "`budgets`: must be a mapping of iterations, wall_clock_seconds, tokens;"
        " the default is used",
    )


def test_a_runner_default_is_kept_where_the_file_says_nothing():
    runner_defaults = RepoConfig(image="bzzz-sandbox:latest", budgets=Budgets(iterations=40))
    config = parse_repo_config("budgets: {tokens: 9000}\n", runner_defaults)
    assert config.image == "bzzz-sandbox:latest"
    assert config.budgets == Budgets(iterations=40, tokens=9000)
