import pytest

from bzzz.config import load_settings
from bzzz.errors import ConfigError

BASE = {
    "BZZZ_TASKS_TABLE": "t",
    "BZZZ_AGENTS_TABLE": "a",
    "BZZZ_DELIVERIES_TABLE": "d",
    "BZZZ_REPOS_TABLE": "r",
    "BZZZ_THREADS_TABLE": "th",
    "BZZZ_AUDIT_TABLE": "au",
    "BZZZ_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:bus.fifo",
    "AWS_REGION": "us-east-1",
}


def test_complete_environment_loads_with_defaults():
    settings = load_settings(BASE)
    assert settings.tasks_table == "t"
    assert settings.lease_seconds == 300
    assert settings.max_attempts == 3
    assert settings.summon_label == "bzzz-task"
    assert settings.endpoint_url("dynamodb") is None


@pytest.mark.parametrize(
    ("change", "variable", "words"),
    [
        ({"BZZZ_TASKS_TABLE": ""}, "BZZZ_TASKS_TABLE", "missing"),
        ({"BZZZ_TOPIC_ARN": "bus.fifo"}, "BZZZ_TOPIC_ARN", "ARN"),
        ({"AWS_REGION": ""}, "AWS_REGION", "missing"),
        ({"BZZZ_LEASE_SECONDS": "five"}, "BZZZ_LEASE_SECONDS", "whole number"),
        ({"BZZZ_MAX_ATTEMPTS": "0"}, "BZZZ_MAX_ATTEMPTS", "at least 1"),
        ({"AWS_ENDPOINT_URL": "localhost:4566"}, "AWS_ENDPOINT_URL", "http"),
        ({"AWS_ENDPOINT_URL_SQS": "ftp://x"}, "AWS_ENDPOINT_URL_SQS", "http"),
    ],
)
def test_bad_variable_is_named(change, variable, words):
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, **change})
    assert caught.value.variable == variable
    assert words in str(caught.value)


def test_region_falls_back_to_default_region():
    env = {**BASE, "AWS_REGION": "", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert load_settings(env).region == "eu-west-1"


def test_service_endpoint_overrides_the_general_one():
    env = {
        **BASE,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000",
    }
    settings = load_settings(env)
    assert settings.endpoint_url("dynamodb") == "http://127.0.0.1:8000"
    assert settings.endpoint_url("sqs") == "http://127.0.0.1:5000"


def test_queue_url_is_required_only_by_its_consumer():
    settings = load_settings({**BASE, "BZZZ_WORK_QUEUE_URL": "http://q/work.fifo"})
    assert settings.queue_url("work") == "http://q/work.fifo"
    with pytest.raises(ConfigError) as caught:
        settings.queue_url("status")
    assert caught.value.variable == "BZZZ_STATUS_QUEUE_URL"


def test_an_allowed_user_is_allowed_on_its_own_owner_only():
    """An allowance for acme must not let the same login summon agents on another owner's repos."""
    settings = load_settings({**BASE, "BZZZ_ALLOWED_USERS": "acme:Carol, *:ops-bot"})
    assert settings.allowed_for("acme/calc") == {"carol", "ops-bot"}
    assert settings.allowed_for("ACME/other") == {"carol", "ops-bot"}
    assert settings.allowed_for("evil/repo") == {"ops-bot"}


def test_an_allowed_user_without_an_owner_is_refused():
    with pytest.raises(ConfigError, match="BZZZ_ALLOWED_USERS: entry 'carol' must be owner:login"):
        load_settings({**BASE, "BZZZ_ALLOWED_USERS": "carol"})


def test_the_owner_allow_list_is_read_and_an_empty_one_serves_everyone():
    settings = load_settings({**BASE, "BZZZ_ALLOWED_OWNERS": " Acme, bzzz-dev ,"})
    assert settings.allowed_owners == frozenset({"acme", "bzzz-dev"})
    assert settings.serves("ACME/calc") and settings.serves("bzzz-dev")
    assert not settings.serves("evilcorp/x") and not settings.serves("acme-evil/calc")
    assert load_settings(BASE).serves("evilcorp/x")


@pytest.mark.parametrize("entry", ["acme", "acme/calc/x", "-acme/calc", "acme/..", "a b/c"])
def test_a_malformed_configured_repository_is_named(entry):
    with pytest.raises(ConfigError) as raised:
        load_settings({**BASE, "BZZZ_REPOSITORIES": f"acme/calc,{entry}"})
    assert "BZZZ_REPOSITORIES" in str(raised.value) and repr(entry) in str(raised.value)


def test_configured_repositories_keep_their_spelling():
    settings = load_settings({**BASE, "BZZZ_REPOSITORIES": " Acme/Calc, acme/other ,"})
    assert settings.repositories == frozenset({"Acme/Calc", "acme/other"})
