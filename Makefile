# Two commands matter: `make run` (local function + Firestore emulator) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080
# `make run STORE=dynamodb`: the AWS code path against DynamoDB on a local moto server, for those
# without the Cloud SDK.
STORE ?= firestore
# The deployed function's URL; override with `make configure-instance WEBHOOK_URL=https://...`.
WEBHOOK_URL ?= $$(terraform -chdir=terraform/gcp output -raw webhook_url)

# Infrastructure checks run in a virtual environment of their own (tfparse and checkov pin many
# packages; see terraform/requirements-check.txt). Terraform itself is not installed by make.
IAC_VENV := .venv-iac
IAC_PY := $(IAC_VENV)/bin/python
IAC_STAMP := $(IAC_VENV)/.installed
TERRAFORM ?= terraform
GCP_DIR := terraform/gcp
TF_GCP := $(TERRAFORM) -chdir=$(GCP_DIR)
# e.g. TF_APPLY_FLAGS=-auto-approve
TF_APPLY_FLAGS ?=

.PHONY: test test-unit check-test check-run lint typecheck pytest run install clean configure-instance tf-check tf-fmt tf-test deploy destroy deploy-gcp destroy-gcp \
	poll calls reconcile bench backfill backfill-gcp backfill-aws chromium report-screenshot

$(STAMP): pyproject.toml function/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)

$(IAC_STAMP): terraform/requirements-check.txt
	$(PYTHON) -m venv $(IAC_VENV)
	$(IAC_PY) -m pip install -q --upgrade pip
	$(IAC_PY) -m pip install -q -r terraform/requirements-check.txt
	touch $@

# Each target's prerequisites are checked first, one line per missing tool (tools/prereqs.py).
test: check-test lint typecheck pytest tf-check

check-test check-run:
	@$(PYTHON) tools/prereqs.py $(@:check-%=%) --store $(STORE)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# TF_CLI_CONFIG_FILE: terraform/aws is applied to moto with the provider from the offline mirror.
pytest: $(STAMP) chromium
	TF_CLI_CONFIG_FILE=$(CURDIR)/terraform/aws/terraformrc.hcl $(PY) -m pytest

# The report's browser test renders the page with Debian's headless chromium. Installed here when
# missing and run as root; otherwise that test is skipped and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	      echo "apt-get could not install chromium: the report's browser test will be skipped"; \
	  else \
	    echo "chromium is missing and cannot be installed here (needs root and apt-get):" \
	         "the report's browser test will be skipped"; \
	  fi; }

# docs/report.png (the README's screenshot) and docs/report.html from the sample week.
report-screenshot: $(STAMP) chromium
	PYTHONPATH=function:. $(PY) -m tools.report_screenshot docs/report.png

# The fast layer alone: the core against in-memory fakes, no emulator, no server (tests/unit).
# --confcutdir keeps tests/conftest.py, which starts the emulator and moto, out of it.
test-unit: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider --confcutdir=tests/unit tests/unit

# Offline checks of the Terraform stacks: no provider download, no cloud access.
tf-check: tf-fmt tf-test

tf-fmt:
	$(TERRAFORM) fmt -check -recursive terraform/

# tests/iac (tfparse model of the stack, checkov report). --confcutdir keeps the main suite's
# conftest, which needs the function's dependencies, out of this environment.
tf-test: $(IAC_STAMP)
	$(IAC_PY) -m pytest -p no:cacheprovider --confcutdir=tests/iac tests/iac

# After an apply: point the GREEN-API instance(s) at the function with the stack's outputs ($(1) is
# the stack's terraform command): every instance of green_api_instances, or the one instance. The
# tokens reach configure-instance through the environment, never the command line.
define configure_from_outputs
	@out() { $(1) output -raw "$$1"; }; \
	webhook_url="$$(out webhook_url)" && \
	WEBHOOK_TOKEN="$$(out webhook_token)" && export WEBHOOK_TOKEN && \
	instances="$$(out green_api_instances)" && \
	echo "configure-instance --webhook-url $$webhook_url" && \
	if [ -n "$$instances" ]; then \
	  GREEN_API_INSTANCES="$$instances" $(PY) -m call_logger configure-instance --all \
	    --webhook-url "$$webhook_url"; \
	else \
	  GREEN_API_TOKEN="$$(out green_api_token)" \
	  GREEN_API_ID_INSTANCE="$$(out green_api_id_instance)" \
	  GREEN_API_URL="$$(out green_api_url)" \
	  $(PY) -m call_logger configure-instance --webhook-url "$$webhook_url"; \
	fi
endef

# `make deploy` deploys to Google Cloud; `make deploy CLOUD=aws` to AWS (same as deploy-aws).
CLOUD ?= gcp
# Both end with `make backfill`: one run of the deployed reconcile function over BACKFILL (GREEN-API's
# call journal holds up to 10,000 calls). BACKFILL= skips it; `make backfill` alone repeats it.
BACKFILL ?= 7d
backfill: backfill-$(CLOUD)
deploy: deploy-$(CLOUD)
destroy: destroy-$(CLOUD)

# Deploy to Google Cloud (variables from terraform/gcp/terraform.tfvars), then point the
# GREEN-API instance at the new webhook with its token. Before the apply, the preflight enables the
# APIs with gcloud (when it is installed and logged in), checks the project, and writes the
# variables the apply needs (firestore_database_exists) to PREFLIGHT_VARS.
# PREFLIGHT_ARGS=--skip-preflight skips it.
PREFLIGHT_VARS := build/preflight.tfvars.json
PREFLIGHT_ARGS ?=
deploy-gcp: $(STAMP)
	@test -f $(GCP_DIR)/terraform.tfvars || { \
	  echo "Copy $(GCP_DIR)/terraform.tfvars.example to $(GCP_DIR)/terraform.tfvars and fill it in."; \
	  exit 1; }
	$(TF_GCP) init -input=false
	$(PY) -m call_logger preflight --stack $(GCP_DIR) --terraform $(TERRAFORM) \
	  --tfvars-out $(GCP_DIR)/$(PREFLIGHT_VARS) $(PREFLIGHT_ARGS)
	$(TF_GCP) apply -input=false -var-file=$(PREFLIGHT_VARS) $(TF_APPLY_FLAGS)
	$(call configure_from_outputs,$(TF_GCP))
	$(MAKE) --no-print-directory backfill-gcp

# The deployed reconcile function over BACKFILL, with the stack's own settings, through gcloud
# (your login; it may invoke the private function as the project's owner).
backfill-gcp:
	@job="$$($(TF_GCP) output -raw reconcile_function_name 2>/dev/null)"; \
	if [ -z "$(BACKFILL)" ] || [ -z "$$job" ]; then echo "Backfill skipped."; exit 0; fi; \
	echo "Backfill: reconcile over the last $(BACKFILL) ($$job)"; \
	gcloud functions call "$$job" --gen2 --project "$$($(TF_GCP) output -raw project_id)" \
	  --region "$$($(TF_GCP) output -raw region)" \
	  --data '{"action": "reconcile", "since": "$(BACKFILL)"}'

# Remove the stack. With firestore_delete_protection = true the database and its records stay.
destroy-gcp:
	$(TF_GCP) init -input=false
	$(TF_GCP) destroy -input=false $(TF_APPLY_FLAGS)

run: check-run $(STAMP)
	$(PY) -m devserver --port $(PORT) --store $(STORE)

# Point the GREEN-API instance at the function (needs GREEN_API_ID_INSTANCE, GREEN_API_TOKEN,
# WEBHOOK_TOKEN in the environment). CONFIGURE_ARGS=--check compares instead of setting.
configure-instance: $(STAMP)
	$(PY) -m call_logger configure-instance --webhook-url "$(WEBHOOK_URL)" $(CONFIGURE_ARGS)

# Without a public URL: take notifications from the instance's queue (its webhookUrl must be
# empty). Needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN; ARGS="--once" drains and exits.
poll: $(STAMP)
	$(PY) -m call_logger poll $(ARGS)

# Recent call records, e.g. `make calls ARGS="--since 7d --unanswered"`.
calls: $(STAMP)
	$(PY) -m call_logger calls $(ARGS)

# Add the calls GREEN-API's journal knows and the log lacks, e.g. `make reconcile ARGS="--since 7d
# --dry-run"`. Needs GREEN_API_ID_INSTANCE, GREEN_API_TOKEN and the store settings.
reconcile: $(STAMP)
	$(PY) -m call_logger reconcile $(ARGS)

clean:
	rm -rf $(VENV) $(IAC_VENV) $(PEER_VENV) .mypy_cache .ruff_cache .pytest_cache $(GCP_DIR)/build build

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

# Runtime dependencies for Lambda: requests and its own, and tzdata (the runtime has no zoneinfo
# files), as Linux x86_64 wheels for the runtime (version ranges from function/requirements.txt).
# boto3 comes with the Lambda runtime; functions-framework and google-cloud-firestore are for
# Google Cloud only. The $$(...) is unquoted on purpose: one word per requirement.
$(LAMBDA_PKG).stamp: function/requirements.txt $(STAMP) Makefile
	rm -rf $(LAMBDA_PKG)
	$(PY) -m pip install -q --target $(LAMBDA_PKG) --platform manylinux2014_x86_64 \
		--implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --only-binary=:all: \
		$$(grep -E '^(requests|tzdata)([^A-Za-z0-9_.-]|$$)' function/requirements.txt)
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
	$(call configure_from_outputs,terraform -chdir=$(TF_AWS))
	$(MAKE) --no-print-directory backfill-aws

# The deployed reconcile function over BACKFILL, with your AWS credentials.
backfill-aws: $(STAMP)
	@name="$$(terraform -chdir=$(TF_AWS) output -raw reconcile_function_name 2>/dev/null)"; \
	if [ -z "$(BACKFILL)" ] || [ -z "$$name" ]; then echo "Backfill skipped."; exit 0; fi; \
	echo "Backfill: reconcile over the last $(BACKFILL) ($$name)"; \
	$(PY) $(TF_AWS)/invoke_reconcile.py "$$name" "$(BACKFILL)" \
	  "$$(terraform -chdir=$(TF_AWS) output -raw region)"

# Needs build/lambda.zip too (the stack hashes it): lambda-zip rebuilds it if it is missing.
destroy-aws: lambda-zip
	terraform -chdir=$(TF_AWS) destroy -input=false $(AWS_APPLY_FLAGS) $(TF_AWS_VARS)

# Benchmarks (not part of `make test`): writes bench/results.json and bench/results.md.
# Needs wrk (installed from Debian's packages if missing) and GREEN-API's own webhook server
# from PyPI in a separate virtualenv, as the peer row.
PEER_VENV := bench/.venv-peer
$(PEER_VENV)/.installed:
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q whatsapp-api-webhook-server-python
	touch $@

bench: $(STAMP) $(PEER_VENV)/.installed
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	PYTHONPATH=.:function $(PY) -m bench
