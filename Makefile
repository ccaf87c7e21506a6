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

.PHONY: help run run-mongo test test-fast test-e2e test-integration test-mongo lint fmt check bench fuzz asyncapi i18n \
	schemas up down logs compose-env clean sync browser-deps

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

# --- what the browser tests need (tests/e2e/test_web_*.py) ----------------------------------
# The machine's Chromium (Debian package; Playwright drives it, never downloads its own) and
# the test OpenID provider (npm's oidc-provider) and axe-core (the accessibility check), each
# pinned by its committed package-lock.json.
# All are installed once; later runs see the file (stamp) and skip.
CHROMIUM := /usr/bin/chromium
OIDC_PROVIDER := tests/browser/oidc_provider
OIDC_STAMP := $(OIDC_PROVIDER)/node_modules/.leaveflow-installed
AXE := tests/browser/axe
AXE_STAMP := $(AXE)/node_modules/.leaveflow-installed
APT_INSTALL := env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

browser-deps: $(CHROMIUM) $(OIDC_STAMP) $(AXE_STAMP) ## Chromium (apt), the test OpenID provider and axe-core (npm ci)

$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests (once)..."
	@log=$$(mktemp); sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	if ! { $$sudo $(APT_INSTALL) chromium \
		|| { $$sudo apt-get update -qq && $$sudo $(APT_INSTALL) chromium; }; } >"$$log" 2>&1; \
	then tail -n 20 "$$log"; rm -f "$$log"; echo "could not install chromium"; exit 1; fi; \
	rm -f "$$log"

$(OIDC_STAMP): $(OIDC_PROVIDER)/package-lock.json $(OIDC_PROVIDER)/package.json
	cd $(OIDC_PROVIDER) && npm ci --silent --no-audit --no-fund --loglevel=error >/dev/null
	touch $@

$(AXE_STAMP): $(AXE)/package-lock.json $(AXE)/package.json
	cd $(AXE) && npm ci --silent --no-audit --no-fund --loglevel=error >/dev/null
	touch $@

# --- everyday -------------------------------------------------------------------------------
run: $(SYNC_STAMP) ## run NATS, the four services and the web (http://localhost:8000), data in ./.data
	$(BIN)/python -m leaveflow_devstack run

run-mongo: $(SYNC_STAMP) ## `make run` with every service on MongoDB: MONGO_URL, else the mongoeco stand-in
	$(BIN)/python -m leaveflow_devstack run --store mongo

# pytest exits 5 when it selected no test; that must fail loudly, never pass as "green".
# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set (it is on the shared dev
# machine; __pycache__ is git-ignored): without it every xdist worker rewrote and compiled
# each test module again (12.6 s of CPU to collect, 6.0 s with the cache) and every process
# of every e2e stack compiled its imports again (2.7 s of CPU for the requests and web apps'
# imports, 1.9 s with .pyc). Python checks each .pyc against its source, so none goes stale.
define pytest
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest $(1) $(PYTEST_ARGS) || { status=$$?; \
		if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; fi; exit $$status; }
endef

# Everything on two workers (pytest-xdist), each module kept on one worker (--dist
# loadscope) so a module's stack starts once; every stack takes its ports from the worker's
# own share of devstack's port pool (leaveflow_devstack.ports), so stacks side by side never
# race for a port. The few `serial` tests time bursts against kills and outages that need
# the machine to themselves: they run afterwards, alone.
PARALLEL := -n 2 --dist loadscope

test: $(SYNC_STAMP) browser-deps ## the whole suite (unit, integration, e2e, browser)
	$(call pytest,-m "not serial" $(PARALLEL))
	$(call pytest,-m serial)

test-fast: $(SYNC_STAMP) ## everything but the e2e tests that start the stack
	$(call pytest,-m "not e2e" -n 2)

test-e2e: $(SYNC_STAMP) browser-deps ## only the e2e tests (the real stack as processes)
	$(call pytest,-m "e2e and not serial" $(PARALLEL))
	$(call pytest,-m "e2e and serial")

test-integration: $(SYNC_STAMP) ## only tests that need a real nats-server
	$(call pytest,-m integration)

# The adapter tests (-m mongo) and every e2e test with each stack on MongoDB: the one at
# MONGO_URL, else the mongoeco stand-in (the test output says which).
test-mongo: $(SYNC_STAMP) browser-deps ## the MongoDB adapter tests and the whole e2e suite on MongoDB
	LEAVEFLOW_E2E_STORE=mongo $(call pytest,-m "mongo or e2e")

# Tests are type-checked with the code (one mypy run: its module names come from the paths,
# so the many conftest.py never clash): every test directory, and the benches beside the code.
TEST_DIRS := conftest.py tests $(wildcard libs/*/tests services/*/tests services/*/bench)

lint: $(SYNC_STAMP) ## ruff check, ruff format --check, mypy --strict (src/ and tests), import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MYPYPATH=$(subst $(space),:,$(SRC_DIRS)) $(BIN)/mypy $(SRC_DIRS) $(TEST_DIRS)
	@# Mandatory: a missing import-linter or contracts must fail, never pass silently.
	@test -x $(BIN)/lint-imports || { echo "lint-imports is not installed (make sync)"; exit 1; }
	@grep -q '^\[tool.importlinter\]' pyproject.toml \
		|| { echo "no [tool.importlinter] contracts in pyproject.toml"; exit 1; }
	$(BIN)/lint-imports

fmt: $(SYNC_STAMP) ## autofix, then format (fixes can leave code unformatted)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint test ## what a careful push runs: lint + the whole suite

fuzz: $(SYNC_STAMP) ## schemathesis against every service's OpenAPI, 200 examples per operation
	LEAVEFLOW_FUZZ_EXAMPLES=$${LEAVEFLOW_FUZZ_EXAMPLES:-200} $(BIN)/pytest tests/e2e/test_openapi_fuzz.py -rP

.PHONY: teams-app
teams-app: $(SYNC_STAMP) ## the Teams app package: TEAMS_APP_ID=... LEAVEFLOW_PUBLIC_URL=https://... -> .data/teams/leaveflow-teams.zip
	$(BIN)/python deploy/teams/build_app.py

bench: $(SYNC_STAMP) ## every issue-19 figure vs. its target and a same-run raw baseline (QUICK=1: minutes; N=, STORE=sqlite|mongo)
	$(BIN)/python -m leaveflow_devstack bench $(if $(QUICK),--quick) $(if $(N),--n $(N)) --store $(or $(STORE),sqlite)

schemas: $(SYNC_STAMP) ## export the event JSON Schemas to docs/events
	$(BIN)/python -m leaveflow_contracts.schema_export docs/events

WEB_LOCALE := src/leaveflow_web/locale
i18n: $(SYNC_STAMP) ## extract the web's sentences into messages.pot, merge them into the en/de catalogs
	cd services/web && $(CURDIR)/$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output \
		--project Leaveflow --copyright-holder "Leaveflow contributors" -o $(WEB_LOCALE)/messages.pot .
	@for l in en de; do \
		if [ -f services/web/$(WEB_LOCALE)/$$l/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete \
				-i services/web/$(WEB_LOCALE)/messages.pot -d services/web/$(WEB_LOCALE) -l $$l || exit 1; \
		else \
			$(BIN)/pybabel -q init -i services/web/$(WEB_LOCALE)/messages.pot -d services/web/$(WEB_LOCALE) -l $$l || exit 1; \
		fi; \
	done

ASYNCAPI_SERVICES := requests balances notifications calendar
asyncapi: $(SYNC_STAMP) ## write each service's AsyncAPI 3.0 document (FastStream) to docs/asyncapi
	@for s in $(ASYNCAPI_SERVICES); do \
		$(BIN)/python -m leaveflow_kit.messaging.asyncapi leaveflow_$$s.bootstrap:create_app docs/asyncapi/$$s.yaml || exit 1; \
	done

.PHONY: slack-manifest
SLACK_MANIFEST := build/slack-manifest.yml
slack-manifest: $(SYNC_STAMP) ## the Slack app manifest with your URLs (NOTIFICATIONS_PUBLIC_URL=https://... LEAVEFLOW_DASHBOARD_URL=https://...)
	$(BIN)/python deploy/slack/render_manifest.py --notifications-url "$(NOTIFICATIONS_PUBLIC_URL)" \
		--dashboard-url "$(or $(LEAVEFLOW_DASHBOARD_URL),$(NOTIFICATIONS_PUBLIC_URL))" --out $(SLACK_MANIFEST)

# --- docker compose (MongoDB replica set + NATS + the services) -----------------------------
# deploy/.env is created from deploy/.env.example on first use, with random secrets filled in
# (compose refuses to start without LEAVEFLOW_SERVICE_SECRET; there is no default).
# HA=1: the `ha` profile (3-node NATS cluster, two replicas of every service) and the
# settings it needs; OBSERVABILITY=1: Jaeger, with the services exporting traces to it.
# Variables given here win over deploy/.env (compose prefers the environment).
COMPOSE_ENV_FILE := deploy/.env
comma := ,
UP_PROFILES := $(subst $(space),$(comma),$(strip $(if $(HA),ha) $(if $(OBSERVABILITY),observability)))
UP_ENV := $(if $(UP_PROFILES),COMPOSE_PROFILES=$(UP_PROFILES)) \
	$(if $(HA),NATS_CONFIG=cluster.conf NATS_STREAM_REPLICAS=3 \
		NATS_URL=nats://nats:4222$(comma)nats://nats-2:4222$(comma)nats://nats-3:4222) \
	$(if $(OBSERVABILITY),OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318)

compose-env: ## create deploy/.env if missing and fill its empty secrets (make up does this)
	@$(PYTHON) deploy/init_env.py $(COMPOSE_ENV_FILE)

up: compose-env ## build and start the compose stack, wait until healthy (HA=1, OBSERVABILITY=1)
	$(strip $(UP_ENV)) $(COMPOSE) up --build --detach --wait
	@$(PYTHON) deploy/init_env.py --banner $(COMPOSE_ENV_FILE)

# Every profile enabled, so the second replicas and Jaeger go too.
down: compose-env ## stop the compose stack (volumes kept; `docker compose ... down -v` drops them)
	COMPOSE_PROFILES=ha,observability $(COMPOSE) down

logs: compose-env ## follow the compose stack's logs
	$(COMPOSE) logs --follow

# --- housekeeping ---------------------------------------------------------------------------
clean: ## remove .venv, .tools, .data, caches, test artifacts and the test provider's node_modules
	rm -rf $(VENV) $(TOOLS) .data .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts \
		$(OIDC_PROVIDER)/node_modules $(AXE)/node_modules
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
