#!/usr/bin/env bash
# LocalStack "ready" hook: create template.yaml's resources for stack $BZZZ_STACK.
#
# It runs our own provisioner (infra/local_backend) from the repository, with
# LocalStack's Python, which already has boto3 and PyYAML. So LocalStack gets
# exactly the resources moto gets in `bzzz local up` and in the tests — not a
# CloudFormation deploy, which would also try to create the template's Lambda
# functions, API and schedules (the local supervisor runs those) and would need
# the SAM transform and Docker-in-Docker for Lambda.
#
# In the container (localstack/docker-compose.yml) the defaults apply: the
# repository mounted at /opt/bzzz, LocalStack on localhost:4566 serving
# DynamoDB too. The host-mode launcher (infra/local_backend/localstack.py) sets
# BZZZ_REPO, BZZZ_HOOK_PYTHON, BZZZ_LOCALSTACK_URL and BZZZ_DYNAMODB_URL (its
# DynamoDB Local).
set -euo pipefail

repo=${BZZZ_REPO:-/opt/bzzz}
python=${BZZZ_HOOK_PYTHON:-/opt/code/localstack/.venv/bin/python}
[ -x "$python" ] || python=python3
stack=${BZZZ_STACK:-bzzz-local}
if [ -n "${BZZZ_DYNAMODB_URL:-}" ]; then
  export AWS_ENDPOINT_URL_DYNAMODB=$BZZZ_DYNAMODB_URL
fi

# The mount is read-only: do not try to write __pycache__ into it.
export PYTHONDONTWRITEBYTECODE=1
cd "$repo"
PYTHONPATH="$repo" "$python" -m infra.local_backend.provision \
    --stack "$stack" \
    --endpoint "${BZZZ_LOCALSTACK_URL:-http://localhost:4566}" \
    --region "${AWS_DEFAULT_REGION:-us-east-1}"
echo "bzzz: stack $stack provisioned"
