# Two commands matter: `make demo` and `make test`. Both install what they need.
.PHONY: setup demo test lint unit integration bench clean

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

bench: setup
	$(VENV)/python bench/claims.py

clean:
	rm -rf .venv .bzzz .pytest_cache .mypy_cache .ruff_cache .aws-sam

# The Lambda artifacts, built without a container (infra/lambda_build/Makefile).
.PHONY: lambda-build
lambda-build: setup
	$(VENV)/sam build --build-dir .aws-sam/build
