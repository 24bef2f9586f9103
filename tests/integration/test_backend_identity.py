"""Figures name the server that answered: DynamoDB Local is not reported as moto.

bench/claims.py used to print its --dynamodb flag, so a run with
AWS_ENDPOINT_URL_DYNAMODB at DynamoDB Local (the LocalStack lane's pairing)
was labelled moto.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local_backend import LocalBackend
from infra.local_backend.identify import identify
from tests.fixtures.aws import external_endpoint

pytestmark = [pytest.mark.integration, pytest.mark.dynamodb_local]

REPO = Path(__file__).resolve().parents[2]


def test_each_server_is_named_from_its_own_answer(dynamodb_local_aws: LocalBackend):
    env = dynamodb_local_aws.base_env
    assert identify(env["AWS_ENDPOINT_URL_DYNAMODB"]) == "dynamodb-local"
    # The SNS/SQS endpoint: our moto server, or LocalStack in `make test-localstack`.
    expected = "localstack" if external_endpoint() else "moto"
    assert identify(env["AWS_ENDPOINT_URL"]) == expected
    assert identify(None) == "aws"
    assert identify("http://127.0.0.1:9").startswith("unknown")


def test_the_claims_bench_labels_dynamodb_local_behind_aws_endpoint_url_dynamodb(
    dynamodb_local_aws: LocalBackend,
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(dynamodb_local_aws.base_env)  # no --dynamodb flag: the endpoints decide
    done = subprocess.run(
        [sys.executable, "bench/claims.py", "--claimers", "2", "--tasks", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    label = next(line for line in done.stdout.splitlines() if line.startswith("backend:"))
    assert label == (
        f"backend: dynamodb=dynamodb-local endpoint={env['AWS_ENDPOINT_URL_DYNAMODB']}"
    )
