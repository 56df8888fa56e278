# `make demo` and `make test` work from a fresh clone: every step installs what is missing and
# skips what is already there.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install build gen demo test lint bench fuzz chromium postgresql clean

help:
	@echo "make demo   install what is missing, build the bundle, serve on http://$(HOST):$(PORT)"
	@echo "make test   install what is missing, build, run lint, types and every test"
	@echo "make bench  measure boot, bytes, host impact and throughput side by side"
	@echo "make fuzz   schemathesis over the API's OpenAPI document, long, with a fresh seed"
	@echo "make gen    regenerate widget.d.ts, the event lists and the message types (widget/events.py, widget/contracts)"

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[server,dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed

chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

# The server tests run on SQLite and on a throwaway PostgreSQL cluster they start themselves.
postgresql:
	@test -x /usr/lib/postgresql/15/bin/initdb || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q postgresql; }

build: install
	$(BIN)/python -m widget build

gen: install
	$(BIN)/python -m widget gen

# The demo is local: let webhooks reach a receiver on this machine (see README, Webhooks).
demo: build
	WIDGET_WEBHOOK_ALLOW_PRIVATE=$${WIDGET_WEBHOOK_ALLOW_PRIVATE:-1} \
		$(BIN)/python -m widget serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: build chromium postgresql lint
	$(BIN)/python -m pytest

# The API fuzzer of `make test`, longer and with a fresh seed each run (see tests/server/test_fuzz.py).
FUZZ_SECONDS ?= 1200
FUZZ_EXAMPLES ?= 200
fuzz: install
	WIDGET_FUZZ_SECONDS=$(FUZZ_SECONDS) WIDGET_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) WIDGET_FUZZ_SEED=random \
		$(BIN)/python -m pytest tests/server/test_fuzz.py -p no:cacheprovider

bench: build chromium postgresql
	$(BIN)/python -m bench
	$(BIN)/python -m bench.scaling
	$(BIN)/python -m bench.live_streams

clean:
	rm -rf build build.tmp .cache
