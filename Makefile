# Two commands matter: `make demo` and `make test`. Both install what they need.
.PHONY: setup demo test test-localstack test-real-model lint unit integration e2e bench clean

VENV := .venv/bin
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

setup:
	@bash infra/setup.sh

demo: setup
	@$(VENV)/bzzz demo

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports --no-cache
	$(VENV)/cfn-lint template.yaml
	$(VENV)/sam validate --lint --region us-east-1 --template template.yaml

test: lint
	$(VENV)/python -m pytest

# The integration and end-to-end tests against LocalStack (SNS, SQS, STS, EventBridge,
# Scheduler; host mode, no Docker) and DynamoDB Local, as users run Bzzz on them
# (localstack/README.md). The first run installs LocalStack into .bzzz/localstack.
LOCALSTACK_TESTS ?= tests/localstack tests/integration tests/e2e
test-localstack: setup
	$(VENV)/python -m infra.local_backend.localstack_run run -- \
		$(VENV)/python -m pytest -p no:cacheprovider $(LOCALSTACK_TESTS)

# The runner and `bzzz eval` with a real small model (Qwen2.5-Coder-0.5B on xllamacpp's
# llama.cpp server, infra/model_server): not in `make test` or CI, since the first run
# installs xllamacpp into .bzzz/model-server and downloads about 0.5 GB of weights into
# .bzzz/models, and a real model on CPU takes minutes.
test-real-model: setup
	$(VENV)/python -m pytest -p no:cacheprovider tests/real_model

# One tier at a time (tests/<tier>/conftest.py marks them): unit needs no server.
unit: setup
	$(VENV)/python -m pytest tests/unit

integration: setup
	$(VENV)/python -m pytest tests/integration tests/security

e2e: setup
	$(VENV)/python -m pytest tests/e2e tests/browser

bench: setup
	$(VENV)/python bench/claims.py

clean:
	rm -rf .venv .bzzz .pytest_cache .mypy_cache .ruff_cache .aws-sam

# The Lambda artifacts, built without a container (infra/lambda_build/Makefile).
.PHONY: lambda-build
lambda-build: setup
	$(VENV)/sam build --build-dir .aws-sam/build
