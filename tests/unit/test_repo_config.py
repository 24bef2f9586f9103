"""`.bzzz.yml`: typed settings with defaults; a bad field is named and replaced by its default.

The file is the repository's (hostile): its problems never quote it, what it
asks for is clamped to the runner's maxima, and a link or a huge file is not read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner.agent.budgets import Budgets
from runner.repo_config import MAX_BYTES, RepoConfig, load_repo_config, parse_repo_config
from runner.repo_limits import RepoLimits, load_repo_limits

ACME = RepoLimits(images=("ghcr.io/acme/*",))

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
    config = load_repo_config(tmp_path, limits=ACME)
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
        "`budgets`", "`branch_prefix`", "`num_ctx`", "an unknown field on line 12 (known",
    ]  # fmt: skip
    # Nothing the file says is repeated: the problems go on a public issue.
    for said in ("has spaces", "pip", "ten minutes", "coffee", "escape", "colour", "blue", "-3"):
        assert not any(said in p for p in config.problems), said
    assert "`budgets.iterations`: must be positive; the default is used" in config.problems
    assert "`num_ctx`: must be a whole number, not a true/false; the default is used" in (
        config.problems
    )
    assert any(p.startswith("an unknown field on line 12 (known: ") for p in config.problems)


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


def test_what_the_file_asks_for_is_clamped_to_the_runner_s_maxima():
    config = parse_repo_config(
        "budgets: {iterations: 1000000000, wall_clock_seconds: 1000000000, tokens: 1000000000}\n"
        "command_timeout: 1000000000\nnum_ctx: 1000000000\n",
        limits=RepoLimits(iterations=50, wall_clock_seconds=600, tokens=10_000),
    )
    assert config.budgets == Budgets(iterations=50, wall_clock_seconds=600, tokens=10_000)
    assert (config.command_timeout, config.num_ctx) == (1800, 32_768)  # the default maxima
    assert len(config.problems) == 5
    assert "`budgets.tokens`: above this runner's maximum; 10000 is used" in config.problems


def test_a_default_above_the_runner_s_maxima_is_lowered_without_a_complaint(tmp_path: Path):
    # Nobody asked for the default 30 iterations: the operator's 8 is used, nothing reported.
    config = parse_repo_config("test: pytest\n", limits=RepoLimits(iterations=8, tokens=50_000))
    assert (config.budgets.iterations, config.budgets.tokens) == (8, 50_000)
    assert config.problems == ()
    assert load_repo_config(tmp_path, limits=RepoLimits(iterations=8)).problems == ()  # no file


def test_an_image_the_operator_did_not_allow_is_refused():
    assert parse_repo_config("image: evil.example/miner:latest\n").image is None
    allowed = parse_repo_config("image: ghcr.io/acme/ci:3.12\n", limits=ACME)
    assert allowed.image == "ghcr.io/acme/ci:3.12" and allowed.problems == ()
    refused = parse_repo_config("image: ghcr.io/other/ci:3.12\n", limits=ACME)
    assert refused.image is None and "BZZZ_ALLOWED_IMAGES" in refused.problems[0]


def test_the_limits_come_from_the_environment():
    limits = load_repo_limits(
        {"BZZZ_MAX_TOKENS": "5000", "BZZZ_ALLOWED_IMAGES": "a:1, ghcr.io/acme/*"}
    )
    assert limits.tokens == 5000 and limits.images == ("a:1", "ghcr.io/acme/*")
    assert limits.allows_image("ghcr.io/acme/x:2") and not limits.allows_image("b:1")


@pytest.mark.parametrize("target", ["/etc/passwd", "secret.yml"])
def test_a_symbolic_link_is_not_followed(tmp_path: Path, target: str):
    (tmp_path / "secret.yml").write_text("test: cat /run/secrets/key\n")
    (tmp_path / ".bzzz.yml").symlink_to(target)
    config = load_repo_config(tmp_path)
    assert config.test_command is None
    assert config.problems == (
        ".bzzz.yml: is a symbolic link; Bzzz does not follow links, so it is not read",
    )


def test_a_file_past_the_size_limit_is_not_read(tmp_path: Path):
    (tmp_path / ".bzzz.yml").write_text("test: make\n" + "#" * MAX_BYTES)
    config = load_repo_config(tmp_path)
    assert config.test_command is None
    assert config.problems == (f".bzzz.yml: larger than {MAX_BYTES} bytes, so it is not read",)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path):
    os.mkfifo(tmp_path / ".bzzz.yml")
    config = load_repo_config(tmp_path)
    assert config.problems == (".bzzz.yml: is not a regular file, so it is not read",)


# ----- .github/bzzz.yml -----------------------------------------------------------


def test_github_bzzz_yml_is_read_when_there_is_no_bzzz_yml(tmp_path: Path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "bzzz.yml").write_text("test: make check\nbudgets: {iterations: 7}\n")
    config = load_repo_config(tmp_path)
    assert config.test_command == "make check" and config.budgets.iterations == 7
    assert config.source == ".github/bzzz.yml"


def test_bzzz_yml_wins_over_github_bzzz_yml(tmp_path: Path):
    (tmp_path / ".bzzz.yml").write_text("test: tox\n")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "bzzz.yml").write_text("test: make check\n")
    config = load_repo_config(tmp_path)
    assert (config.test_command, config.source) == ("tox", ".bzzz.yml")


def test_problems_of_github_bzzz_yml_name_that_file(tmp_path: Path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "bzzz.yml").write_text("- a list\n")
    config = load_repo_config(tmp_path)
    assert config.problems == (".github/bzzz.yml: must be a mapping of settings",)


def test_a_github_folder_that_is_a_link_is_not_followed(tmp_path: Path):
    host = tmp_path / "host"
    host.mkdir()
    (host / "bzzz.yml").write_text("test: cat /run/secrets/key\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".github").symlink_to(host)
    config = load_repo_config(repo)
    assert config.test_command is None
    assert config.problems == (
        ".github/bzzz.yml: is under `.github`, which is a link or not a folder",
    )


def test_a_linked_github_bzzz_yml_and_a_github_file_are_refused(tmp_path: Path):
    (tmp_path / "secret.yml").write_text("test: cat /run/secrets/key\n")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "bzzz.yml").symlink_to(tmp_path / "secret.yml")
    config = load_repo_config(tmp_path)
    assert config.test_command is None and "symbolic link" in config.problems[0]
    other = tmp_path / "other"
    other.mkdir()
    (other / ".github").write_text("not a folder")
    assert load_repo_config(other).problems == (
        ".github/bzzz.yml: is under `.github`, which is a link or not a folder",
    )
