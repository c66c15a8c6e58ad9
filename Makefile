# Refuge: one command each (STYLE.md #13). `make help` lists the targets;
# docs/development.md explains the test layers and the PostgreSQL harness.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Installing (docs/development.md, "Installing"): the pip that python3.11 ships installs only the
# pinned installer (uv) and build backend from requirements/bootstrap.lock; uv installs the rest.
# Each stamp is newer than the lock it installed, so a changed lock re-installs.
BOOTSTRAPPED := $(VENV)/.refuge-bootstrap
RUNTIME := $(VENV)/.refuge-runtime
INSTALLED := $(VENV)/.refuge-dev
UV := $(BIN)/uv pip install --python $(BIN)/python --quiet
PYTEST := $(BIN)/pytest
# Two cores on every machine (dev, CI): two xdist workers. `make test-fast XDIST=` runs serially.
XDIST ?= -n 2
PYTEST_ARGS ?=
TEST_LOGS := var/test-logs

FAST_MARKS := not browser and not postgres and not slow
SQLITE_MARKS := not browser and not postgres
PG_MARKS := not browser

.PHONY: help install install-dev lock checkers demo demo-codes test test-fast test-sqlite test-pg test-browser crash fuzz soak screenshots check messages openapi bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BOOTSTRAPPED): requirements/bootstrap.lock | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check --quiet --require-hashes -r requirements/bootstrap.lock
	touch $@

# Only what Refuge needs to run: `make demo` installs this and nothing of the development set.
$(RUNTIME): requirements/runtime.lock pyproject.toml $(BOOTSTRAPPED)
	$(UV) --require-hashes -r requirements/runtime.lock
	# Refuge itself, built by the pinned setuptools above (no unpinned build environment).
	$(UV) --no-deps --no-build-isolation -e .
	touch $@

# The development set (tests, linters, fuzzing) on top: `make test` and `make check`.
$(INSTALLED): requirements/dev.lock $(RUNTIME)
	$(UV) --require-hashes -r requirements/dev.lock
	touch $@

# Re-pin after changing pyproject.toml's dependencies: the development set first, then the runtime
# set held to the same versions, so `make demo` and `make test` run the same code.
LOCK := $(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet
lock: $(BOOTSTRAPPED)  ## re-pin requirements/dev.lock and runtime.lock after changing pyproject.toml
	$(LOCK) --extra dev -o requirements/dev.lock
	$(LOCK) --constraint requirements/dev.lock -o requirements/runtime.lock

install: $(RUNTIME)  ## create .venv (python3.11) with what Refuge needs to run
install-dev: $(INSTALLED)  ## .venv with the development set too (tests, linters)

demo: $(RUNTIME)  ## init, load demo data and serve on 127.0.0.1:REFUGE_PORT (default 8000)
	$(BIN)/refuge demo

demo-codes: $(RUNTIME)  ## print the demo users' current TOTP codes (while make demo runs)
	$(BIN)/refuge demo --codes

# One layer of the suite: $(1) name, $(2) marker expression, $(3) extra arguments, $(4) environment.
# pytest's own exit code is the result: 5 (no tests collected) fails like any other non-zero.
define run_layer
	@mkdir -p $(TEST_LOGS)
	@echo "=== layer $(1): pytest -m \"$(2)\" $(strip $(3)) $(4)"
	$(4) $(PYTEST) -m "$(2)" $(3) $(PYTEST_ARGS) 2>&1 | tee $(TEST_LOGS)/$(1).log
endef

test-fast: $(INSTALLED)  ## the quick loop: SQLite, no slow/browser/postgres tests
	$(call run_layer,fast,$(FAST_MARKS),$(XDIST),REFUGE_TEST_DATABASE=sqlite)

test-sqlite: $(INSTALLED)  ## the whole default suite on SQLite (slow tests included)
	$(call run_layer,sqlite,$(SQLITE_MARKS),$(XDIST),REFUGE_TEST_DATABASE=sqlite)

test-pg: $(INSTALLED)  ## the whole default suite again on a throwaway PostgreSQL cluster
	$(call run_layer,postgres,$(PG_MARKS),$(XDIST),REFUGE_TEST_DATABASE=postgres)

# The page checkers the browser layer runs over every page it visits (docs/development.md, "Page
# checks"): axe-core and vnu-jar, pinned in their package-lock.json, never their install scripts
# (vnu-jar's would download a Java runtime: Debian's default-jre-headless runs it instead).
CHECKERS := tests/browser/checkers
$(CHECKERS)/node_modules/.refuge-installed: $(CHECKERS)/package-lock.json
	npm ci --prefix $(CHECKERS) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@
checkers: $(CHECKERS)/node_modules/.refuge-installed  ## install the page checkers (axe-core, vnu-jar) from npm

test-browser: $(INSTALLED) checkers  ## the browser layer: Playwright driving Debian's chromium
	$(call run_layer,browser,browser,,REFUGE_TEST_DATABASE=sqlite)

# The crash suite's long run (docs/development.md, "Crash suite"): SQLite, then PostgreSQL, each
# even if the first failed. Its short run is part of test-sqlite and test-pg. REFUGE_CRASH_CYCLES,
# REFUGE_CRASH_SECONDS, REFUGE_CRASH_CLIENTS and REFUGE_CRASH_SEED override the defaults below.
crash: $(INSTALLED)  ## the long crash suite: many kill -9 cycles on SQLite, then on PostgreSQL
	@mkdir -p $(TEST_LOGS)
	@status=0; \
	for db in sqlite postgres; do \
	  echo "=== crash suite on $$db: pytest -m crash"; \
	  REFUGE_TEST_DATABASE=$$db REFUGE_CRASH_CYCLES=$${REFUGE_CRASH_CYCLES:-40} REFUGE_CRASH_SECONDS=$${REFUGE_CRASH_SECONDS:-8} \
	    $(PYTEST) -m crash -o log_cli=true --log-cli-level=INFO $(PYTEST_ARGS) 2>&1 | tee $(TEST_LOGS)/crash-$$db.log \
	    || status=1; \
	done; \
	exit $$status

# The long fuzzing run (docs/development.md, "Fuzzing"): every tests/fuzz/fuzz_<name>.py harness for
# FUZZ_RUNS inputs, from its seeds in tests/corpus/<name>/ and what earlier runs found in
# var/fuzz/<name>/corpus/; crashes go to var/fuzz/<name>/. CI runs a few thousand of each (marker slow).
# FUZZ_ARGS go to libFuzzer as they are (e.g. FUZZ_ARGS=-max_total_time=600).
FUZZ_RUNS ?= 200000
FUZZ_ARGS ?=
fuzz: $(INSTALLED)  ## fuzz every atheris harness for FUZZ_RUNS inputs each (default 200000)
	$(BIN)/python -m tests.fuzz.runner --runs $(FUZZ_RUNS) -- $(FUZZ_ARGS)

# The soak (docs/development.md, "Soak"): `refuge serve` under SOAK_RATE submissions/s for
# SOAK_MINUTES; fails on any error or on a worker whose memory grows. Result in var/soak/result.json.
SOAK_MINUTES ?= 30
SOAK_RATE ?= 10
SOAK_DATABASE ?= sqlite
soak: $(INSTALLED)  ## steady intake load for SOAK_MINUTES (default 30): flat memory, zero errors; BENCHMARKS.md
	REFUGE_SOAK_MINUTES=$(SOAK_MINUTES) REFUGE_SOAK_RATE=$(SOAK_RATE) REFUGE_SOAK_DATABASE=$(SOAK_DATABASE) \
	  $(BIN)/python bench/run.py soak $(BENCH_ARGS)
	@$(BIN)/python -c 'import json, sys; sys.exit(0 if json.load(open("var/soak/result.json"))["passed"] else 1)' \
	  || { echo "the soak failed: see BENCHMARKS.md (soak) and var/soak/result.json"; exit 1; }

screenshots: $(INSTALLED) checkers  ## the browser layer, saving the pages it visits to docs/screenshots
	REFUGE_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots REFUGE_TEST_DATABASE=sqlite $(PYTEST) -m browser $(PYTEST_ARGS)

# Every layer runs even when an earlier one fails, then one summary line per layer.
test: $(INSTALLED)  ## everything: SQLite, PostgreSQL, then the browser layer
	@status=0; \
	for layer in test-sqlite test-pg test-browser; do \
	  $(MAKE) $$layer || status=1; \
	done; \
	echo; echo "=== test summary"; \
	for log in sqlite postgres browser; do \
	  printf '%-9s %s\n' "$$log" "$$(tail -n 1 $(TEST_LOGS)/$$log.log 2>/dev/null || echo 'did not run')"; \
	done; \
	exit $$status

check: $(INSTALLED)  ## format, lint (with security rules), types, bandit, semgrep rules, import layers, migrations
	@status=0; \
	run() { echo "=== $$*"; "$$@" || { echo "FAILED: $$*"; status=1; }; }; \
	run $(BIN)/ruff format --check .; \
	run $(BIN)/ruff check .; \
	run $(BIN)/mypy; \
	run $(BIN)/bandit -q -r refuge -c pyproject.toml; \
	run .semgrep/check $(BIN)/semgrep; \
	run $(BIN)/lint-imports --no-logo; \
	run env DJANGO_SETTINGS_MODULE=refuge.test_settings $(BIN)/python manage.py makemigrations --check --dry-run; \
	exit $$status

# Compiled .mo files are committed, so a fresh checkout serves Russian without gettext.
openapi: $(INSTALLED)  ## write the JSON API's OpenAPI document to docs/openapi.json (tests/api/test_openapi.py compares)
	env DJANGO_SETTINGS_MODULE=refuge.test_settings $(BIN)/python manage.py openapi > docs/openapi.json

messages: $(INSTALLED)  ## update refuge/locale (en, ru) and compile the .mo files
	mkdir -p refuge/locale
	cd refuge && PYTHONPATH=$(CURDIR) DJANGO_SETTINGS_MODULE=refuge.test_settings $(abspath $(BIN))/django-admin makemessages \
	  -l en -l ru --add-location=file --no-obsolete --ignore='migrations/*'
	cd refuge && PYTHONPATH=$(CURDIR) DJANGO_SETTINGS_MODULE=refuge.test_settings $(abspath $(BIN))/django-admin compilemessages

bench: $(INSTALLED)  ## run the benchmarks (bench/run.py, args in BENCH_ARGS) and rewrite BENCHMARKS.md
	@if [ -f bench/run.py ]; then $(BIN)/python bench/run.py $(BENCH_ARGS); else echo "bench/run.py does not exist yet"; fi

clean:  ## remove caches and test logs (keeps .venv and var/ data)
	find . -path ./.venv -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .mypy_cache .ruff_cache .import_linter_cache .pytest_cache .hypothesis .coverage htmlcov build $(TEST_LOGS)
