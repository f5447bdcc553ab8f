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
	$(UV) sync --frozen --compile-bytecode
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
	$(RUN) specfirst lint

.PHONY: format
format: install ## Format the hand-written code
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

.PHONY: typecheck
typecheck: install ## mypy --strict over src/, generated/, the golden output and bench/
	$(RUN) mypy src runtime/src generated tests/golden/expected bench

.PHONY: run
run: generate ## Generate, migrate and serve the Tasks API on SQLite at http://127.0.0.1:8000/docs
	$(RUN) python -m tasks_service serve --migrate --host $(HOST) --port $(PORT)

.PHONY: run-postgres
run-postgres: generate ## The Tasks API on PostgreSQL + Redis with 2 workers (DATABASE_URL, REDIS_URL)
	DATABASE_URL=$${DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(RUN) python -m tasks_service serve --migrate --workers 2 --host $(HOST) --port $(PORT)

.PHONY: migrate
migrate: install ## Upgrade the Tasks API database (DATABASE_URL, default SQLite) to the latest schema
	$(RUN) python -m tasks_service migrate

.PHONY: run-example
run-example: generate ## Serve the example Pet Clinic API (token: demo-token) at http://127.0.0.1:8000/docs
	$(RUN) uvicorn example_service.app:app --host $(HOST) --port $(PORT)

.PHONY: contract-test
contract-test: generate ## Schemathesis against every API with an app (Tasks API, example API), from their contracts
	$(RUN) specfirst contract-test

.PHONY: corpus
corpus: install ## Generate, import and serve every contract in CORPUS (default ../shared/corpus/specs)
	$(RUN) specfirst corpus $(or $(CORPUS),../shared/corpus/specs)

.PHONY: bench
bench: install ## Time specfirst generate against peer generators on small..huge contracts; app start-up
	$(RUN) python bench/bench_generate.py $(or $(CORPUS),../shared/corpus/specs)
	$(RUN) python bench/bench_app_start.py $(or $(CORPUS),../shared/corpus/specs)
	$(RUN) python bench/lines_per_operation.py

.PHONY: bench-service
bench-service: install ## Serving speed: Tasks API vs a lean hand-written FastAPI peer (wrk; ARGS=--profile ...)
	$(RUN) python bench/bench_service.py $(ARGS)

.PHONY: diff
diff: install ## Breaking-change report of every configured API against its released baseline
	$(RUN) specfirst diff

.PHONY: release-baseline
release-baseline: install ## Record the current contracts as the released baselines (contracts/baselines/)
	$(RUN) specfirst diff --release-baseline

.PHONY: test
test: install ## The whole suite: generated/ up to date, lint, types, tests
	$(RUN) specfirst check
	$(RUN) specfirst scaffold --check
	$(RUN) specfirst lint
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy src runtime/src generated tests/golden/expected bench
	$(RUN) pytest

# Other Pythons: the generator and runtime tiers in their own environments (.venv-3.12, ...).
PYTHONS ?= 3.12 3.13
# (mypy's own tests are left to the main run: mypy checks for Python 3.11 whatever runs it)
VERSION_TIERS ?= tests/generator tests/golden tests/example -k "not mypy"
# An interpreter for a version: uv's own search, else pyenv's installed versions.
python_for = $(or $(shell $(UV) python find $(1) 2>/dev/null),$(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1)))),$(1))

.PHONY: test-versions
test-versions: $(addprefix test-python-,$(PYTHONS)) ## The generator and runtime tiers on Python 3.12 and 3.13

.PHONY: test-python-%
test-python-%: install
	UV_PROJECT_ENVIRONMENT=.venv-$* $(UV) sync --frozen --quiet --no-group services --python $(call python_for,$*)
	UV_PROJECT_ENVIRONMENT=.venv-$* $(UV) run --frozen --no-sync --python $(call python_for,$*) \
	  pytest -q -p no:cacheprovider $(VERSION_TIERS)

.PHONY: golden
golden: install ## Refresh the generator's golden files after an intended change
	SPECFIRST_UPDATE_GOLDEN=1 $(RUN) pytest tests/golden -q
