# specfirst: contract-first FastAPI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
RUN := $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.venv/.installed: pyproject.toml uv.lock
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet "uv==0.13.9"
	$(UV) sync --frozen
	@touch $@

.PHONY: install
install: .venv/.installed ## Install the pinned environment (.venv) from uv.lock

.PHONY: generate
generate: install ## Generate generated/ from specs/ (every API in [tool.specfirst])
	$(RUN) specfirst generate

.PHONY: check
check: install ## Fail if generated/ is stale or hand-edited
	$(RUN) specfirst check

.PHONY: validate
validate: install ## Validate every configured contract
	$(RUN) specfirst validate

.PHONY: lint
lint: install ## ruff (lint + format check) and the contract house rules
	$(RUN) ruff check .
	$(RUN) ruff format --check .

.PHONY: format
format: install ## Format the hand-written code
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: typecheck
typecheck: install ## mypy --strict over src/, generated/ and the golden output
	$(RUN) mypy src generated

.PHONY: test
test: install ## The whole suite: generated/ up to date, lint, types, tests
	$(RUN) specfirst check
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy src generated
	$(RUN) pytest

.PHONY: golden
golden: install ## Refresh the generator's golden files after an intended change
	SPECFIRST_UPDATE_GOLDEN=1 $(RUN) pytest tests/golden -q
