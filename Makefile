# Qamqor: `make run` (the whole platform on SQLite with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-test run test test-sqlite test-postgres test-browser bench messages check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements/base.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/base.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	QAMQOR_DEMO=true $(BIN)/qamqor compilemessages --ignore=.venv >/dev/null
	touch $@

$(TEST_STAMP): $(STAMP) requirements/test.txt
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/test.txt
	touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

run: install
	PORT=$(PORT) $(BIN)/qamqor run

# The suite: SQLite, then PostgreSQL, then the browser tests. Each step says what it skipped and why.
test: install-test
	@bash scripts/ensure-chromium
	env -u DATABASE_URL $(BIN)/python -m pytest -n 2 -m "not browser and not postgres"
	@bash scripts/test-postgres
	env -u DATABASE_URL $(BIN)/python -m pytest -m browser

bench: install-test
	$(BIN)/python -m benchmarks

messages: install
	cd qamqor && QAMQOR_DEMO=true ../$(BIN)/qamqor makemessages -l kk -l ru -l en --no-obsolete --no-location --ignore=tests/*
	msgen qamqor/locale/en/LC_MESSAGES/django.po -o qamqor/locale/en/LC_MESSAGES/django.po  # English is the source: msgstr = msgid
	QAMQOR_DEMO=true $(BIN)/qamqor compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
