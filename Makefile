# Psynote. The two commands that matter:
#   make run    install, set up the data folder, load the fictional demo, serve on :8000
#   make test   install with dev tools, lint, then the whole test suite on SQLite and on a
#               throwaway PostgreSQL (scripts/with-postgres)
# Installs come only from the lock files; `make lock` regenerates them after pyproject.toml
# changes (pip-tools, with hashes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BIND   ?= 127.0.0.1:8000
PYTEST_FLAGS ?= -p no:randomly
# Tests make their own data folder and keys (conftest.py): never let an operator's
# environment point them at real data.
TEST_ENV := env -u PSYNOTE_HOME -u PSYNOTE_MASTER_KEY -u PSYNOTE_MASTER_KEY_FILE \
            -u PSYNOTE_SECRET_KEY -u DATABASE_URL
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
               --no-emit-index-url --no-emit-find-links

.DEFAULT_GOAL := help
.PHONY: help run test test-sqlite test-postgres test-ha test-pgbouncer lint bench lock install install-dev

help:
	@echo "make run     demo server on http://$(BIND)/ (fictional data)"
	@echo "make test    lint + tests on SQLite and PostgreSQL"
	@echo "make test-ha the primary of a pg_auto_failover pair killed under load (ADR 0018)"
	@echo "make lint    ruff check, and the dependencies between apps (lint-imports)"
	@echo "make bench   benchmarks (python -m bench)"
	@echo "make lock    regenerate requirements.lock and requirements-dev.lock"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# File targets: the install re-runs only when pyproject.toml or a lock file changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python scripts/check-lock
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python scripts/check-lock dev
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/psynote init
	$(BIN)/psynote demo --if-empty
	@echo
	@echo "Psynote demo: open http://$(BIND)/login/ and sign in with a login above."
	@echo "All data is fictional. Ctrl-C stops the server."
	@echo
	$(BIN)/psynote serve --bind $(BIND)

# lint-imports checks the import contracts in pyproject.toml ([tool.importlinter]).
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo

test-sqlite: $(VENV)/.installed-dev
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_FLAGS)

test-postgres: $(VENV)/.installed-dev
	$(TEST_ENV) scripts/with-postgres $(BIN)/pytest $(PYTEST_FLAGS)

# A monitor, a primary and a synchronous secondary (pg_auto_failover, ADR 0018); the primary
# is killed under a write load. Called by .ci/run after `make test`.
test-ha: $(VENV)/.installed-dev
	$(TEST_ENV) scripts/with-ha-postgres $(BIN)/pytest $(PYTEST_FLAGS) -m ha -s psynote/tests/ha

# Not part of `make test`: PostgreSQL behind pgbouncer in transaction pooling mode, for the
# tests that lock, sign and chain (docs/operations.md#connection-pooling-with-pgbouncer).
PGBOUNCER_TESTS := psynote/notes/tests/test_signing.py psynote/notes/tests/test_views_note_sign.py \
                   psynote/notes/tests/test_triggers_and_constraints.py psynote/audit/tests \
                   psynote/lib/tests/test_replica.py
test-pgbouncer: $(VENV)/.installed-dev
	$(TEST_ENV) scripts/with-pgbouncer $(BIN)/pytest $(PYTEST_FLAGS) --reuse-db $(PGBOUNCER_TESTS)

# Every stage runs even if an earlier one fails, so one run reports everything.
test: $(VENV)/.installed-dev
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory test-sqlite || failed="$$failed sqlite"; \
	$(MAKE) --no-print-directory test-postgres || failed="$$failed postgresql"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test: lint, SQLite and PostgreSQL all passed"

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(PIP_COMPILE) -o requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev -o requirements-dev.lock pyproject.toml
