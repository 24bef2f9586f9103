"""Shared pytest configuration: fixtures live in tests/fixtures/, one module per stand-in."""

pytest_plugins = [
    "tests.fixtures.aws",
    "tests.fixtures.containers",
    "tests.fixtures.github",
    "tests.fixtures.ollama",
]

# tests/localstack/ starts LocalStack itself (Python 3.13, installed on first use):
# `make test-localstack` names it; the default suite leaves it out.
collect_ignore = ["localstack"]
