# Two commands matter: `make run` (local function + Firestore emulator) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080
# The deployed function's URL; override with `make configure-instance WEBHOOK_URL=https://...`.
WEBHOOK_URL ?= $$(terraform -chdir=terraform/gcp output -raw webhook_url)

.PHONY: test lint typecheck pytest run install clean configure-instance poll calls

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
	$(PY) -m tests.support.devserver --port $(PORT)

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

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
