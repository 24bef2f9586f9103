#!/usr/bin/env bash
# LocalStack "ready" hook: create template.yaml's resources for stack $BZZZ_STACK.
#
# It runs our own provisioner (infra/local_backend) from the repository mounted
# at /opt/bzzz, with LocalStack's Python, which already has boto3 and PyYAML.
# So LocalStack gets exactly the resources moto gets in `bzzz local up` and in
# the tests — not a CloudFormation deploy, which would also try to create the
# template's Lambda functions, API and schedules (the local supervisor runs
# those) and would need the SAM transform and Docker-in-Docker for Lambda.
set -euo pipefail

repo=/opt/bzzz
python=/opt/code/localstack/.venv/bin/python
[ -x "$python" ] || python=python3

# The mount is read-only: do not try to write __pycache__ into it.
export PYTHONDONTWRITEBYTECODE=1
cd "$repo"
PYTHONPATH="$repo" "$python" -m infra.local_backend.provision \
    --stack "${BZZZ_STACK:-bzzz-local}" \
    --endpoint http://localhost:4566 \
    --region "${AWS_DEFAULT_REGION:-us-east-1}"
echo "bzzz: stack ${BZZZ_STACK:-bzzz-local} provisioned"
