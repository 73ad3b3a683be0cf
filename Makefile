# Two commands matter: `make run` (local function + Firestore emulator) and `make test`.
# `make help` lists every target by group: each target's `## ` comment is its line there, each
# `##@ ` line starts a group.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080
# `make run STORE=dynamodb`: the AWS code path against DynamoDB on a local moto server, for those
# without the Cloud SDK.
STORE ?= firestore

# Infrastructure checks run in a virtual environment of their own (tfparse and checkov pin many
# packages; see terraform/requirements-check.txt). Terraform itself is not installed by make.
IAC_VENV := .venv-iac
IAC_PY := $(IAC_VENV)/bin/python
IAC_STAMP := $(IAC_VENV)/.installed
TERRAFORM ?= terraform
GCP_DIR := terraform/gcp
TF_GCP := $(TERRAFORM) -chdir=$(GCP_DIR)
TF_AWS := terraform/aws
TF_AWS_CMD := $(TERRAFORM) -chdir=$(TF_AWS)
# The tests apply terraform/aws to moto with the provider from the offline mirror.
TF_OFFLINE := TF_CLI_CONFIG_FILE=$(CURDIR)/$(TF_AWS)/terraformrc.hcl
# e.g. TF_APPLY_FLAGS=-auto-approve
TF_APPLY_FLAGS ?=
# The deployed function's URL; override with `make configure-instance WEBHOOK_URL=https://...`.
WEBHOOK_URL ?= $$($(TF_GCP) output -raw webhook_url)

# `make` alone prints the list.
.DEFAULT_GOAL := help
.PHONY: help run test test-unit test-integration test-reliability test-iac lint typecheck pytest \
	tf-check tf-fmt tf-test check-test \
	check-run chromium deploy destroy backfill deploy-gcp destroy-gcp backfill-gcp deploy-aws \
	destroy-aws backfill-aws wait-ready-gcp wait-ready-aws lambda-zip tf-aws-offline-init \
	configure-instance poll calls reconcile install lock clean bench report-screenshot

# Everything pinned and hash-checked (`make lock`): DEV_LOCK holds the development tools and the
# function's dependencies at the versions function/requirements.txt deploys, so that the tests
# run what is deployed; then this project itself, editable, adding no dependency of its own.
DEV_LOCK := requirements-dev.txt
$(STAMP): pyproject.toml function/requirements.txt $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(IAC_STAMP): terraform/requirements-check.txt
	$(PYTHON) -m venv $(IAC_VENV)
	$(IAC_PY) -m pip install -q --upgrade pip
	$(IAC_PY) -m pip install -q -r terraform/requirements-check.txt
	touch $@

##@ Run on this machine

run: check-run $(STAMP) ## the function and a local database on 127.0.0.1:8080 (PORT=, STORE=dynamodb)
	$(PY) -m devserver --port $(PORT) --store $(STORE)

##@ Test

# Each target's prerequisites are checked first, one line per missing tool (tools/prereqs.py).
# The test folders are the layers: tests/unit, tests/integration, tests/reliability, tests/iac;
# a target runs each alone.
test: check-test lint typecheck pytest tf-check ## everything: lint, typecheck, pytest, the Terraform checks

# The fast layer alone: the core against in-memory fakes, no emulator, no server (tests/unit).
# --confcutdir keeps tests/conftest.py, which starts the emulator and moto, out of it.
test-unit: $(STAMP) ## the fast layer alone (tests/unit: no emulator, no server)
	$(PY) -m pytest -p no:cacheprovider --confcutdir=tests/unit tests/unit

test-integration: $(STAMP) chromium ## tests/integration: the emulator, moto, real HTTP, terraform/aws on moto
	$(TF_OFFLINE) $(PY) -m pytest tests/integration

test-reliability: $(STAMP) ## tests/reliability: faults, bad input, load
	$(PY) -m pytest tests/reliability

# lint-imports: the layers contract of pyproject.toml ([tool.importlinter]).
lint: $(STAMP) ## ruff check, ruff format --check, and the import-linter layers contract
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP) ## mypy
	$(VENV)/bin/mypy

pytest: $(STAMP) chromium ## the test suites (emulator, moto, terraform/aws applied to moto)
	$(TF_OFFLINE) $(PY) -m pytest

# Offline checks of the Terraform stacks: no provider download, no cloud access.
tf-check: tf-fmt test-iac ## the Terraform checks, offline

tf-fmt: ## terraform fmt -check of both stacks
	$(TERRAFORM) fmt -check -diff -recursive terraform/

# tests/iac (tfparse model of the stack, checkov report). --confcutdir keeps the main suite's
# conftest, which needs the function's dependencies, out of this environment.
test-iac: $(IAC_STAMP) ## tests/iac: tfparse and checkov in .venv-iac
	$(IAC_PY) -m pytest -p no:cacheprovider --confcutdir=tests/iac tests/iac

tf-test: test-iac ## the same as test-iac

check-test check-run: ## what `make test` or `make run` needs, one line per missing tool
	@$(PYTHON) tools/prereqs.py $(@:check-%=%) --store $(STORE) --terraform $(TERRAFORM)

# The report's browser test renders the page with Debian's headless chromium. Installed here when
# missing and run as root; otherwise that test is skipped and says why.
chromium: ## install Debian's chromium for the report's browser test (as root, when missing)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	      echo "apt-get could not install chromium: the report's browser test will be skipped"; \
	  else \
	    echo "chromium is missing and cannot be installed here (needs root and apt-get):" \
	         "the report's browser test will be skipped"; \
	  fi; }

##@ Deploy

# After an apply: point the GREEN-API instance(s) at the function with the stack's outputs ($(1) is
# the stack's terraform command): every instance of green_api_instances, or the one instance. The
# tokens reach configure-instance through the environment, never the command line.
define configure_from_outputs
	@out() { $(1) output -raw "$$1"; }; \
	webhook_url="$$(out webhook_url)" && \
	WEBHOOK_TOKEN="$$(out webhook_token)" && export WEBHOOK_TOKEN && \
	KEEP_INCOMING_WEBHOOK="$$(out keep_incoming_webhook)" && export KEEP_INCOMING_WEBHOOK && \
	CALLBACK_BY_MESSAGE="$$(out callback_by_message)" && export CALLBACK_BY_MESSAGE && \
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
# Both end with a backfill: one run of the deployed reconcile function over BACKFILL (GREEN-API's
# call journal holds up to 10,000 calls). BACKFILL= skips it; `make backfill` alone repeats it.
BACKFILL ?= 7d
# The backfill runs on a stack's first deploy only: build/backfilled in the stack's folder holds
# the webhook URL (which names the deployment) once a backfill over it has succeeded, so a failed
# one is tried again by the next deploy and a later deploy changes nothing. A local stamp rather
# than a mark in the Terraform state: the state cannot know whether the run after the apply
# worked. Another machine's first deploy backfills once more, which records nothing twice.
# `make deploy BACKFILL=3d` on the command line, or `make backfill`, runs it anyway. A destroy
# removes the stamp: the deploy after it backfills the calls the gap missed.
#
# Before it, the instance must be authorized again: setSettings has just restarted it.
# e.g. WAIT_READY_ARGS="--timeout 10m"
WAIT_READY_ARGS ?=

# The end of a deploy ($(1): gcp or aws, $(2): the stack's terraform command, $(3): its folder).
# A backfill that fails is a WARNING with the command that repeats it: everything else is
# deployed and working.
define backfill_after_deploy
	@url="$$($(2) output -raw webhook_url)" || exit 1; \
	stamp="$(3)/build/backfilled"; \
	if [ -z "$(BACKFILL)" ]; then \
	  echo "Backfill skipped (BACKFILL is empty)."; \
	elif [ "$(origin BACKFILL)" != "command line" ] && [ -f "$$stamp" ] && \
	    read -r done < "$$stamp" && [ "$$done" = "$$url" ]; then \
	  echo "Backfill: done by an earlier deploy of this stack; make backfill CLOUD=$(1) repeats it."; \
	elif $(MAKE) --no-print-directory backfill-$(1); then \
	  printf '%s\n' "$$url" > "$$stamp"; \
	else \
	  echo "WARNING: the backfill did not complete; the deploy itself did. Rerun it with:" \
	    "make backfill CLOUD=$(1) BACKFILL=$(BACKFILL)"; \
	fi
endef

# wait-ready with the GREEN-API settings of the stack's outputs ($(1): its terraform command):
# every instance of green_api_instances, or the one instance.
define wait_ready_from_outputs
	@out() { $(1) output -raw "$$1"; }; \
	instances="$$(out green_api_instances)" && \
	if [ -n "$$instances" ]; then \
	  GREEN_API_INSTANCES="$$instances" $(PY) -m call_logger wait-ready --all $(WAIT_READY_ARGS); \
	else \
	  GREEN_API_TOKEN="$$(out green_api_token)" \
	  GREEN_API_ID_INSTANCE="$$(out green_api_id_instance)" \
	  GREEN_API_URL="$$(out green_api_url)" \
	  $(PY) -m call_logger wait-ready $(WAIT_READY_ARGS); \
	fi
endef
deploy: deploy-$(CLOUD) ## deploy to CLOUD (gcp, or aws), point the instance at it, backfill
destroy: destroy-$(CLOUD) ## remove the CLOUD stack
backfill: backfill-$(CLOUD) ## one run of the deployed reconcile function over BACKFILL (7d)

# Deploy to Google Cloud (variables from terraform/gcp/terraform.tfvars), then point the
# GREEN-API instance at the new webhook with its token. Before the apply, the preflight enables the
# APIs with gcloud (when it is installed and logged in), checks the project, and writes the
# variables the apply needs (firestore_database_exists) to PREFLIGHT_VARS.
# PREFLIGHT_ARGS=--skip-preflight skips it.
PREFLIGHT_VARS := build/preflight.tfvars.json
PREFLIGHT_ARGS ?=
deploy-gcp: $(STAMP) ## deploy terraform/gcp (Cloud Function + Firestore)
	@test -f $(GCP_DIR)/terraform.tfvars || { \
	  echo "Copy $(GCP_DIR)/terraform.tfvars.example to $(GCP_DIR)/terraform.tfvars and fill it in."; \
	  exit 1; }
	$(TF_GCP) init -input=false
	$(PY) -m call_logger preflight --stack $(GCP_DIR) --terraform $(TERRAFORM) \
	  --tfvars-out $(GCP_DIR)/$(PREFLIGHT_VARS) $(PREFLIGHT_ARGS)
	$(TF_GCP) apply -input=false -var-file=$(PREFLIGHT_VARS) $(TF_APPLY_FLAGS)
	$(call configure_from_outputs,$(TF_GCP))
	$(call backfill_after_deploy,gcp,$(TF_GCP),$(GCP_DIR))

# Remove the stack. With firestore_delete_protection = true the database and its records stay.
destroy-gcp: ## remove terraform/gcp (the database stays with delete protection)
	$(TF_GCP) init -input=false
	$(TF_GCP) destroy -input=false $(TF_APPLY_FLAGS)
	rm -f $(GCP_DIR)/build/backfilled

# The deployed reconcile function over BACKFILL, with the stack's own settings, through gcloud
# (your login; it may invoke the private function as the project's owner), once the instance is
# authorized.
backfill-gcp: $(STAMP) ## backfill through gcloud
	@job="$$($(TF_GCP) output -raw reconcile_function_name 2>/dev/null)"; \
	if [ -z "$(BACKFILL)" ] || [ -z "$$job" ]; then echo "Backfill skipped."; exit 0; fi; \
	$(MAKE) --no-print-directory wait-ready-gcp && \
	echo "Backfill: reconcile over the last $(BACKFILL) ($$job)" && \
	gcloud functions call "$$job" --gen2 --project "$$($(TF_GCP) output -raw project_id)" \
	  --region "$$($(TF_GCP) output -raw region)" \
	  --data '{"action": "reconcile", "since": "$(BACKFILL)"}'

# --- AWS: Lambda + DynamoDB (terraform/aws) ---------------------------------------------------
# `make test` runs tests/integration/test_terraform_aws*.py, which apply the stack to a local moto
# server with the provider from the offline mirror (terraform/aws/terraformrc.hcl). deploy-aws and
# destroy-aws use your own Terraform configuration and AWS credentials, and the normal registry.
LAMBDA_ZIP := build/lambda.zip
TF_AWS_VARS := -var 'package_zip=$(CURDIR)/$(LAMBDA_ZIP)'
AWS_APPLY_FLAGS ?=
# Python of the Lambda runtime: keep equal to the stack's runtime variable (python3.12 by default).
LAMBDA_PYTHON_VERSION ?= 3.12
LAMBDA_PKG := build/lambda-pkg-py$(LAMBDA_PYTHON_VERSION)
LAMBDA_LOCK := $(TF_AWS)/lambda-requirements.txt

# Deploy to the AWS account of your credentials with terraform/aws/terraform.tfvars, then point the
# GREEN-API instance at the Function URL. The tokens reach configure-instance through the
# environment, never the command line. Before the apply, the preflight checks the credentials,
# the region, the IAM names and whether the account can spare the reserved concurrency, and
# writes what the apply needs (reserved_concurrent_executions) to PREFLIGHT_VARS.
# PREFLIGHT_ARGS=--skip-preflight skips it.
deploy-aws: lambda-zip ## deploy terraform/aws (Lambda + DynamoDB)
	$(TF_AWS_CMD) init -input=false
	$(PY) -m call_logger preflight-aws --stack $(TF_AWS) --terraform $(TERRAFORM) \
	  --package-zip $(CURDIR)/$(LAMBDA_ZIP) --tfvars-out $(TF_AWS)/$(PREFLIGHT_VARS) $(PREFLIGHT_ARGS)
	$(TF_AWS_CMD) apply -input=false -var-file=$(PREFLIGHT_VARS) $(AWS_APPLY_FLAGS) $(TF_AWS_VARS)
	$(call configure_from_outputs,$(TF_AWS_CMD))
	$(call backfill_after_deploy,aws,$(TF_AWS_CMD),$(TF_AWS))

# Needs build/lambda.zip too (the stack hashes it): lambda-zip rebuilds it if it is missing.
destroy-aws: lambda-zip ## remove terraform/aws
	$(TF_AWS_CMD) destroy -input=false $(AWS_APPLY_FLAGS) $(TF_AWS_VARS)
	rm -f $(TF_AWS)/build/backfilled

# The deployed reconcile function over BACKFILL, with your AWS credentials.
backfill-aws: $(STAMP) ## backfill with your AWS credentials
	@name="$$($(TF_AWS_CMD) output -raw reconcile_function_name 2>/dev/null)"; \
	if [ -z "$(BACKFILL)" ] || [ -z "$$name" ]; then echo "Backfill skipped."; exit 0; fi; \
	$(MAKE) --no-print-directory wait-ready-aws && \
	echo "Backfill: reconcile over the last $(BACKFILL) ($$name)" && \
	$(PY) $(TF_AWS)/invoke_reconcile.py "$$name" "$(BACKFILL)" \
	  "$$($(TF_AWS_CMD) output -raw region)"

# Wait until the stack's GREEN-API instance(s) say authorized (the backfill's first step).
wait-ready-gcp: $(STAMP) ## wait until the gcp stack's GREEN-API instance is authorized
	$(call wait_ready_from_outputs,$(TF_GCP))

wait-ready-aws: $(STAMP) ## wait until the aws stack's GREEN-API instance is authorized
	$(call wait_ready_from_outputs,$(TF_AWS_CMD))

# Runtime dependencies for Lambda: the pinned, hash-checked LAMBDA_LOCK (`make lock`), as Linux
# x86_64 wheels for the runtime.
$(LAMBDA_PKG).stamp: $(LAMBDA_LOCK) $(STAMP) Makefile
	rm -rf $(LAMBDA_PKG)
	$(PY) -m pip install -q --target $(LAMBDA_PKG) --platform manylinux2014_x86_64 \
		--implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --only-binary=:all: \
		--require-hashes -r $(LAMBDA_LOCK)
	touch $@

# build/lambda.zip: function/ plus those dependencies, reproducible (same files, same bytes).
lambda-zip: $(LAMBDA_PKG).stamp ## build/lambda.zip: function/ and its pinned dependencies
	$(PY) $(TF_AWS)/build_zip.py $(LAMBDA_ZIP) function $(LAMBDA_PKG)

# Initialise terraform/aws from the offline mirror (for validate or plan by hand, no registry).
tf-aws-offline-init: ## terraform init of terraform/aws from the offline provider mirror
	$(TF_OFFLINE) $(TF_AWS_CMD) init -input=false

##@ Operate

# Point the GREEN-API instance at the function (needs GREEN_API_ID_INSTANCE, GREEN_API_TOKEN,
# WEBHOOK_TOKEN in the environment). CONFIGURE_ARGS=--check compares instead of setting.
configure-instance: $(STAMP) ## point the GREEN-API instance at WEBHOOK_URL (CONFIGURE_ARGS=--check compares)
	$(PY) -m call_logger configure-instance --webhook-url "$(WEBHOOK_URL)" $(CONFIGURE_ARGS)

# Without a public URL: take notifications from the instance's queue (its webhookUrl must be
# empty). Needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN; ARGS="--once" drains and exits.
poll: $(STAMP) ## take notifications from the instance's queue, without a public URL
	$(PY) -m call_logger poll $(ARGS)

# Recent call records, e.g. `make calls ARGS="--since 7d --unanswered"`.
calls: $(STAMP) ## recent call records (ARGS="--since 7d --unanswered")
	$(PY) -m call_logger calls $(ARGS)

# Add the calls GREEN-API's journal knows and the log lacks, e.g. `make reconcile ARGS="--since 7d
# --dry-run"`. Needs GREEN_API_ID_INSTANCE, GREEN_API_TOKEN and the store settings.
reconcile: $(STAMP) ## add the calls GREEN-API's journal has and the log lacks
	$(PY) -m call_logger reconcile $(ARGS)

##@ Maintain

help: ## this list (`make` alone)
	@echo "make TARGET [VARIABLE=value ...]"
	@awk 'BEGIN { FS = ":[^#]*## " } \
	  /^##@ / { printf "\n%s\n", substr($$0, 5) } \
	  /^[a-zA-Z0-9_ -]+:[^=]*## / { printf "  %-22s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

install: $(STAMP) ## create .venv with the pinned dependencies and the development tools

# The function's dependencies pinned with hashes, for every platform and every Python from 3.11,
# from pyproject.toml's ranges: function/requirements.txt (what Cloud Functions' build installs)
# and, at the same versions, the Lambda zip's subset (terraform/aws/lambda-requirements.in) and
# .venv's DEV_LOCK (the dev extra: ruff, mypy, pytest, moto, uv, ...).
# Pins that still fit the ranges are kept; LOCK_ARGS=--upgrade takes the newest releases.
LOCK_ARGS ?=
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' $(LOCK_ARGS)
lock: $(STAMP) ## pin the function's and the dev tools' dependencies with hashes (LOCK_ARGS=--upgrade)
	$(UV_COMPILE) pyproject.toml -o function/requirements.txt
	$(UV_COMPILE) $(TF_AWS)/lambda-requirements.in -c function/requirements.txt -o $(LAMBDA_LOCK)
	$(UV_COMPILE) pyproject.toml --extra dev -c function/requirements.txt -o $(DEV_LOCK)

clean: ## remove the virtualenvs, caches and build/
	rm -rf $(VENV) $(IAC_VENV) $(PEER_VENV) .mypy_cache .ruff_cache .pytest_cache $(GCP_DIR)/build build

# Benchmarks (not part of `make test`): writes bench/results.json and bench/results.md.
# Needs wrk (installed from Debian's packages if missing) and GREEN-API's own webhook server
# from PyPI in a separate virtualenv, as the peer row.
PEER_VENV := bench/.venv-peer
$(PEER_VENV)/.installed:
	$(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q whatsapp-api-webhook-server-python
	touch $@

bench: $(STAMP) $(PEER_VENV)/.installed ## the benchmark: bench/results.json and bench/results.md
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	PYTHONPATH=.:function $(PY) -m bench

# docs/report.png (the README's screenshot) and docs/report.html from the sample week, and
# docs/report-quarter.png and .html from a sample quarter (drawn in weeks).
report-screenshot: $(STAMP) chromium ## docs/report*.png and .html from a sample week and quarter
	PYTHONPATH=function:. $(PY) -m tools.report_screenshot docs/report.png --height 1700
	PYTHONPATH=function:. $(PY) -m tools.report_screenshot docs/report-quarter.png --days 91 --height 1700
