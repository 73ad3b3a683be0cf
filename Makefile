# Two commands matter: `make run` (local function + Firestore emulator) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080

.PHONY: test lint typecheck pytest run install clean

$(STAMP): pyproject.toml function/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)

test: lint typecheck pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(PY) -m pytest

run: $(STAMP)
	$(PY) -m call_logger.devserver --port $(PORT)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# --- AWS: Lambda + DynamoDB (terraform/aws) ---------------------------------------------------
# `make test` runs tests/test_terraform_aws.py, which applies the stack to a local moto server
# with the provider from the offline mirror (terraform/aws/terraformrc.hcl). deploy-aws and
# destroy-aws use your own Terraform configuration and AWS credentials, and the normal registry.
TF_AWS := terraform/aws
LAMBDA_ZIP := build/lambda.zip
TF_AWS_VARS := -var 'package_zip=$(CURDIR)/$(LAMBDA_ZIP)'
AWS_APPLY_FLAGS ?=
# Python of the Lambda runtime: keep equal to the stack's runtime variable (python3.12 by default).
LAMBDA_PYTHON_VERSION ?= 3.12
LAMBDA_PKG := build/lambda-pkg-py$(LAMBDA_PYTHON_VERSION)

.PHONY: lambda-zip deploy-aws destroy-aws tf-aws-fmt tf-aws-offline-init

# Runtime dependencies for Lambda: requests and its own, as Linux x86_64 wheels for the runtime
# (version range from function/requirements.txt). boto3 comes with the Lambda runtime;
# functions-framework and google-cloud-firestore are for Google Cloud only.
$(LAMBDA_PKG).stamp: function/requirements.txt $(STAMP) Makefile
	rm -rf $(LAMBDA_PKG)
	$(PY) -m pip install -q --target $(LAMBDA_PKG) --platform manylinux2014_x86_64 \
		--implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --only-binary=:all: \
		"$$(grep -E '^requests([^A-Za-z0-9_.-]|$$)' function/requirements.txt)"
	touch $@

# build/lambda.zip: function/ plus those dependencies, reproducible (same files, same bytes).
lambda-zip: $(LAMBDA_PKG).stamp
	$(PY) $(TF_AWS)/build_zip.py $(LAMBDA_ZIP) function $(LAMBDA_PKG)

tf-aws-fmt:
	terraform fmt -check -diff -recursive $(TF_AWS)

# Initialise terraform/aws from the offline mirror (for validate or plan by hand, no registry).
tf-aws-offline-init:
	TF_CLI_CONFIG_FILE=$(CURDIR)/$(TF_AWS)/terraformrc.hcl terraform -chdir=$(TF_AWS) init -input=false

# Deploy to the AWS account of your credentials with terraform/aws/terraform.tfvars, then point the
# GREEN-API instance at the Function URL. The tokens reach configure-instance through the
# environment, never the command line.
deploy-aws: lambda-zip
	terraform -chdir=$(TF_AWS) init -input=false
	terraform -chdir=$(TF_AWS) apply -input=false $(AWS_APPLY_FLAGS) $(TF_AWS_VARS)
	@out() { terraform -chdir=$(TF_AWS) output -raw "$$1"; }; \
	webhook_url="$$(out webhook_url)" && \
	WEBHOOK_TOKEN="$$(out webhook_token)" && \
	GREEN_API_TOKEN="$$(out green_api_token)" && \
	GREEN_API_ID_INSTANCE="$$(out green_api_id_instance)" && \
	GREEN_API_URL="$$(out green_api_url)" && \
	export WEBHOOK_TOKEN GREEN_API_TOKEN GREEN_API_ID_INSTANCE GREEN_API_URL && \
	echo "configure-instance --webhook-url $$webhook_url" && \
	$(PY) -m call_logger configure-instance --webhook-url "$$webhook_url"

# Needs build/lambda.zip too (the stack hashes it): lambda-zip rebuilds it if it is missing.
destroy-aws: lambda-zip
	terraform -chdir=$(TF_AWS) destroy -input=false $(AWS_APPLY_FLAGS) $(TF_AWS_VARS)
