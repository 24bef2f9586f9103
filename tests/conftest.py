"""Shared pytest configuration: fixtures live in tests/fixtures/, one module per stand-in."""

pytest_plugins = [
    "tests.fixtures.aws",
    "tests.fixtures.containers",
    "tests.fixtures.github",
    "tests.fixtures.ollama",
]
