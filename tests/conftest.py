"""Shared pytest configuration: fixtures live in tests/fixtures/, one module per stand-in.
Each tier's own conftest (tests/unit, tests/integration, tests/security, tests/e2e) marks
what it collects; tests/unit's also keeps its tests off sockets, processes and sleeps."""

# In dependency order: a plugin imported by another must be registered first, or pytest
# cannot rewrite its asserts.
pytest_plugins = [
    "tests.fixtures.aws",
    "tests.fixtures.containers",
    "tests.fixtures.github",
    "tests.fixtures.http_function",
    "tests.fixtures.ollama",
    "tests.fixtures.agent_sandbox",
    "tests.fixtures.control_plane",
    "tests.fixtures.dashboard",
    "tests.fixtures.intake_stack",
    "tests.fixtures.runner",
]

# tests/localstack/ starts LocalStack itself (Python 3.13, installed on first use):
# `make test-localstack` names it; tests/real_model/ runs a real model (0.5 GB of weights
# fetched on first use, minutes on CPU): `make test-real-model`. The default suite leaves
# both out.
collect_ignore = ["localstack", "real_model"]
