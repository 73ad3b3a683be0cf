# Two commands matter: `make run` (local function + Firestore emulator) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080
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

.PHONY: test lint typecheck pytest run install clean configure-instance tf-check tf-fmt tf-test deploy destroy

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

test: lint typecheck pytest tf-check

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(PY) -m pytest

# Offline checks of the Terraform stacks: no provider download, no cloud access.
tf-check: tf-fmt tf-test

tf-fmt:
	$(TERRAFORM) fmt -check -recursive terraform/

# tests/iac (tfparse model of the stack, checkov report). --confcutdir keeps the main suite's
# conftest, which needs the function's dependencies, out of this environment.
tf-test: $(IAC_STAMP)
	$(IAC_PY) -m pytest -p no:cacheprovider --confcutdir=tests/iac tests/iac

# Deploy to Google Cloud (variables from terraform/gcp/terraform.tfvars), then point the
# GREEN-API instance at the new webhook with its token.
deploy: $(STAMP)
	@test -f $(GCP_DIR)/terraform.tfvars || { \
	  echo "Copy $(GCP_DIR)/terraform.tfvars.example to $(GCP_DIR)/terraform.tfvars and fill it in."; \
	  exit 1; }
	$(TF_GCP) init -input=false
	$(TF_GCP) apply -input=false $(TF_APPLY_FLAGS)
	WEBHOOK_TOKEN="$$($(TF_GCP) output -raw webhook_token)" \
	GREEN_API_TOKEN="$$($(TF_GCP) output -raw green_api_token)" \
	GREEN_API_ID_INSTANCE="$$($(TF_GCP) output -raw green_api_id_instance)" \
	GREEN_API_URL="$$($(TF_GCP) output -raw green_api_url)" \
	$(PY) -m call_logger configure-instance \
	  --webhook-url "$$($(TF_GCP) output -raw webhook_url)"

# Remove the stack. With firestore_delete_protection = true the database and its records stay.
destroy:
	$(TF_GCP) init -input=false
	$(TF_GCP) destroy -input=false $(TF_APPLY_FLAGS)

run: $(STAMP)
	$(PY) -m tests.support.devserver --port $(PORT)

# Point the GREEN-API instance at the function (needs GREEN_API_ID_INSTANCE, GREEN_API_TOKEN,
# WEBHOOK_TOKEN in the environment). CONFIGURE_ARGS=--check compares instead of setting.
configure-instance: $(STAMP)
	$(PY) -m call_logger configure-instance --webhook-url "$(WEBHOOK_URL)" $(CONFIGURE_ARGS)

clean:
	rm -rf $(VENV) $(IAC_VENV) .mypy_cache .ruff_cache .pytest_cache $(GCP_DIR)/build
