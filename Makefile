# Everyday tasks. `make test` is the README's test command; the others are what it checks too.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON_SOURCES := host tests bench .ci

.PHONY: test lint fmt typecheck setup

setup:  ## the venv with test + dev tools, and the JS tools (what tests/run.sh does before pytest)
	VIVIM_SETUP_ONLY=1 bash tests/run.sh

test:  ## the whole suite (pass ARGS="tests/store -q" to narrow it)
	bash tests/run.sh $(ARGS)

lint:  ## ruff, the import contracts and eslint
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/ruff format --check $(PYTHON_SOURCES)
	$(BIN)/lint-imports
	npx --no-install eslint extension host/vivim/web/static/js eslint.config.mjs

fmt:  ## format and apply ruff's safe fixes
	$(BIN)/ruff format $(PYTHON_SOURCES)
	$(BIN)/ruff check --fix $(PYTHON_SOURCES)

typecheck:  ## mypy on host/, tsc on the extension's adapters and worker messages
	$(BIN)/mypy
	npx --no-install tsc -p extension/tsconfig.json
	npx --no-install tsc -p extension/background/tsconfig.json
