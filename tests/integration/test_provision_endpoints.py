"""The provisioner's command (LocalStack's init hook runs it) and its account id.

`python -m infra.local_backend.provision` is how LocalStack's init hook
creates the template's resources; it must send DynamoDB where
AWS_ENDPOINT_URL_DYNAMODB says (DynamoDB Local beside LocalStack), and it must
never make up an account id when STS does not answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from infra.local_backend import LocalBackend, ProvisionError
from infra.local_backend.clients import Clients
from infra.local_backend.provision import provision
from tests.fixtures.aws import unique_stack_name

pytestmark = [pytest.mark.integration, pytest.mark.dynamodb_local]

REPO = Path(__file__).resolve().parents[2]
# Nothing listens on port 9 of loopback (discard, never served here): a dead STS.
DEAD_ENDPOINT = "http://127.0.0.1:9"


def run_provision(env: dict[str, str], stack: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "infra.local_backend.provision", "--stack", stack],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_hook_command_puts_tables_on_aws_endpoint_url_dynamodb(
    dynamodb_local_aws: LocalBackend,
):
    env = dynamodb_local_aws.base_env
    stack = unique_stack_name()
    done = run_provision(env, stack)
    assert done.returncode == 0, done.stderr
    assert f"export AWS_ENDPOINT_URL_DYNAMODB={env['AWS_ENDPOINT_URL_DYNAMODB']}" in done.stdout
    table = f"{stack}-tasks"
    # DescribeTable, not ListTables: the session's server holds every test's tables,
    # past ListTables' page of 100.
    assert Clients(env).dynamodb.describe_table(TableName=table)["Table"]["TableName"] == table
    # ...and not on the SNS/SQS endpoint, which may serve DynamoDB too (moto does).
    beside = {k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL_DYNAMODB"}
    with pytest.raises(ClientError):  # moto: ResourceNotFound; LocalStack here: no DynamoDB
        Clients(beside).dynamodb.describe_table(TableName=table)


def test_the_hook_command_keeps_the_callers_credentials(dynamodb_local_aws: LocalBackend):
    env = {**dynamodb_local_aws.base_env, "AWS_ACCESS_KEY_ID": "AKIDCALLER"}
    env["AWS_SECRET_ACCESS_KEY"] = "callersecret"
    done = run_provision(env, unique_stack_name())
    assert done.returncode == 0, done.stderr
    assert "export AWS_ACCESS_KEY_ID=AKIDCALLER" in done.stdout
    assert "export AWS_SECRET_ACCESS_KEY=callersecret" in done.stdout


def test_without_sts_the_account_id_is_an_error_not_motos(local_aws: LocalBackend):
    env = {**local_aws.base_env, "AWS_ENDPOINT_URL_STS": DEAD_ENDPOINT}
    with pytest.raises(ProvisionError, match=r"AWS::AccountId.*STS at http://127.0.0.1:9.*"):
        provision(env, unique_stack_name())
    done = run_provision(env, unique_stack_name())
    assert done.returncode == 1
    assert "set AWS_ACCOUNT_ID" in done.stderr


def test_an_explicit_account_id_is_used_without_asking_sts(local_aws: LocalBackend):
    account = Clients(local_aws.base_env).sts.get_caller_identity()["Account"]
    env = {
        **local_aws.base_env,
        "AWS_ENDPOINT_URL_STS": DEAD_ENDPOINT,
        "AWS_ACCOUNT_ID": account,
    }
    result = provision(env, unique_stack_name())
    assert f":{account}:" in result.env["BZZZ_TOPIC_ARN"]
