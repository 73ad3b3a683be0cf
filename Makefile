# Two commands matter: `make run` (local function + Firestore emulator) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080
# The deployed function's URL; override with `make configure-instance WEBHOOK_URL=https://...`.
WEBHOOK_URL ?= $$(terraform -chdir=terraform/gcp output -raw webhook_url)

.PHONY: test lint typecheck pytest run install clean configure-instance bench

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

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

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
