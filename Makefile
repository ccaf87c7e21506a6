# Leaveflow's front door. A fresh machine needs only python3 (>= 3.11) and make: the first
# `make run` / `make test` installs a pinned uv into .tools/ and the workspace into .venv/.
# Later runs skip both (stamp files), so they start in about a second.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)
VENV := .venv
BIN := $(VENV)/bin
SYNC_STAMP := $(VENV)/.leaveflow-synced
PYPROJECTS := pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
SRC_DIRS := $(wildcard libs/*/src services/*/src)
COMPOSE := docker compose -f deploy/docker-compose.yml
PYTEST_ARGS ?=

# Never let uv fetch a Python: the one the machine has (python3) is the one we use.
export UV_PYTHON_DOWNLOADS := never

empty :=
space := $(empty) $(empty)

.PHONY: help run test test-fast test-e2e test-integration test-mongo lint fmt check bench fuzz asyncapi \
	schemas up down logs clean sync

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# --- bootstrap ------------------------------------------------------------------------------
$(UV_STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Leaveflow needs python3 >= 3.11 (found $$($(PYTHON) --version 2>&1))"; exit 1; }
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# Re-syncs only when the lock or a pyproject changed (or the venv was removed).
$(SYNC_STAMP): $(UV_STAMP) uv.lock $(PYPROJECTS)
	$(UV) sync --all-packages --locked --python $(PYTHON)
	touch $@

sync: ## install/refresh the workspace into .venv (uv sync --all-packages --locked)
	rm -f $(SYNC_STAMP)
	@$(MAKE) --no-print-directory $(SYNC_STAMP)

# --- everyday -------------------------------------------------------------------------------
run: $(SYNC_STAMP) ## run NATS + the four services on the default ports, data in ./.data
	$(BIN)/python -m leaveflow_devstack run

# pytest exits 5 when it selected no test; that must fail loudly, never pass as "green".
define pytest
	$(BIN)/pytest $(1) $(PYTEST_ARGS) || { status=$$?; \
		if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; fi; exit $$status; }
endef

test: $(SYNC_STAMP) ## the whole suite (unit, integration, e2e)
	$(call pytest,)

test-fast: $(SYNC_STAMP) ## everything but the e2e tests that start the stack
	$(call pytest,-m "not e2e")

test-e2e: $(SYNC_STAMP) ## only the e2e tests (the real stack as processes)
	$(call pytest,-m e2e)

test-integration: $(SYNC_STAMP) ## only tests that need a real nats-server
	$(call pytest,-m integration)

test-mongo: $(SYNC_STAMP) ## only the MongoDB adapter tests (MONGO_URL, Docker, or stand-in)
	$(call pytest,-m mongo)

lint: $(SYNC_STAMP) ## ruff check, ruff format --check, mypy --strict on every src/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MYPYPATH=$(subst $(space),:,$(SRC_DIRS)) $(BIN)/mypy $(SRC_DIRS)
	@if [ -x $(BIN)/lint-imports ] && grep -q 'importlinter' pyproject.toml; then \
		echo "$(BIN)/lint-imports"; $(BIN)/lint-imports; fi

fmt: $(SYNC_STAMP) ## autofix, then format (fixes can leave code unformatted)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint test ## what a careful push runs: lint + the whole suite

fuzz: $(SYNC_STAMP) ## schemathesis against every service's OpenAPI, 200 examples per operation
	LEAVEFLOW_FUZZ_EXAMPLES=$${LEAVEFLOW_FUZZ_EXAMPLES:-200} $(BIN)/pytest tests/e2e/test_openapi_fuzz.py

bench: $(SYNC_STAMP) ## raw JetStream vs. the whole pipeline on a private stack (N=2000)
	$(BIN)/python -m leaveflow_devstack bench --n $(or $(N),2000)

schemas: $(SYNC_STAMP) ## export the event JSON Schemas to docs/events
	$(BIN)/python -m leaveflow_contracts.schema_export docs/events

ASYNCAPI_SERVICES := requests balances notifications calendar
asyncapi: $(SYNC_STAMP) ## write each service's AsyncAPI 3.0 document (FastStream) to docs/asyncapi
	@for s in $(ASYNCAPI_SERVICES); do \
		$(BIN)/python -m leaveflow_kit.messaging.asyncapi leaveflow_$$s.bootstrap:create_app docs/asyncapi/$$s.yaml || exit 1; \
	done

# --- docker compose (MongoDB replica set + NATS + the services) -----------------------------
up: ## build and start the compose stack, wait until healthy
	$(COMPOSE) up --build --detach --wait

down: ## stop the compose stack (volumes kept; `docker compose ... down -v` drops them)
	$(COMPOSE) down

logs: ## follow the compose stack's logs
	$(COMPOSE) logs --follow

# --- housekeeping ---------------------------------------------------------------------------
clean: ## remove .venv, .tools, .data and caches
	rm -rf $(VENV) $(TOOLS) .data .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
