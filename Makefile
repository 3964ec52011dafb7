# HuleEdu CJ mesh -- developer entry points. `make` (or `make help`) lists the targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALL_STAMP := $(VENV)/.install-stamp
NPM_STAMP := node_modules/.install-stamp
PACKAGES := $(wildcard contracts content_service llm_provider cj_service cli deploy)
PYTEST := $(PY) -m pytest
PYTEST_ARGS ?=
REPLICAS ?=
JUDGE ?=
# BLAS threads fight over the 2 cores with the services' own work: a 200-essay refit went
# from 17 ms to ~1 s with threading on (measured); every process here uses one BLAS thread.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

# Run pytest on $(1) with extra args $(2). Exit 5 ("no tests collected") is fine for a suite that has no tests
# yet; a missing folder likewise. Anything else non-zero fails the target.
define pytest_suite
	if [ ! -d "$(1)" ]; then echo "no tests in $(1) yet"; exit 0; fi; \
	rc=0; $(PYTEST) $(1) $(2) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests collected in $(1)"; exit 0; fi; exit $$rc
endef

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "variables: REPLICAS='N cj=N' (up/run), JUDGE=provider/model (run), PYTEST_ARGS=..."

.PHONY: install
install: $(INSTALL_STAMP) ## Create .venv and install the project with dev tools (+ buf via npm)
	@if command -v npm >/dev/null; then $(MAKE) $(NPM_STAMP); else echo "npm not found: skipping buf"; fi

$(INSTALL_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: proto
proto: $(INSTALL_STAMP) ## Regenerate contracts/ from proto/
	$(PY) scripts/gen_protos.py

.PHONY: proto-check
proto-check: $(INSTALL_STAMP) ## Fail if contracts/ is not what proto/ generates
	$(PY) scripts/gen_protos.py --check

.PHONY: lint
lint: $(INSTALL_STAMP) $(NPM_STAMP) ## ruff + mypy on hand-written code, buf lint on proto/
	@failed=(); \
	echo "ruff check ."; $(VENV)/bin/ruff check . || failed+=(ruff); \
	echo "mypy $(PACKAGES)"; $(VENV)/bin/mypy $(PACKAGES) || failed+=(mypy); \
	echo "buf lint"; npx --no-install buf lint || failed+=(buf); \
	if [ $${#failed[@]} -gt 0 ]; then echo "lint failed: $${failed[*]}" >&2; exit 1; fi

.PHONY: test
test: $(INSTALL_STAMP) ## Run every test (unit, integration, e2e)
	@rc=0; $(PYTEST) tests $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests were collected" >&2; fi; exit $$rc

.PHONY: test-unit
test-unit: $(INSTALL_STAMP) ## Unit tests (pure code, no infrastructure)
	@$(call pytest_suite,tests/unit)

.PHONY: test-integration
test-integration: $(INSTALL_STAMP) ## Integration tests (real PostgreSQL and NATS)
	@$(call pytest_suite,tests/integration)

.PHONY: test-e2e
test-e2e: $(INSTALL_STAMP) ## End-to-end tests (several real services)
	@$(call pytest_suite,tests/e2e)

.PHONY: chaos
chaos: $(INSTALL_STAMP) ## Chaos tests, long profile, 3 runs in a row (kill -9, NATS node, Postgres)
	@for run in 1 2 3; do \
		echo "== chaos run $$run/3"; \
		HULEEDU_CHAOS=long $(PYTEST) tests/e2e/test_chaos.py tests/e2e/test_chaos_provider.py \
			-q $(PYTEST_ARGS) || exit $$?; \
	done

.PHONY: load
load: $(INSTALL_STAMP) ## Load test: 50 concurrent batches of 200 essays (p50/p99 time-to-result)
	HULEEDU_LOAD=1 $(PYTEST) tests/e2e/test_load.py -q $(PYTEST_ARGS)

.PHONY: fuzz
fuzz: $(INSTALL_STAMP) ## Long fuzz of every RPC and consumed subject on the real mesh, canaries alongside (FUZZ_EXAMPLES=3000)
	@$(PY) bench/fuzz.py

.PHONY: real-judge
real-judge: $(INSTALL_STAMP) ## A real model (SmolLM2 on llama-cpp-python, built once into ~/.cache) judges 10 essays
	$(PY) scripts/real_judge.py

.PHONY: run
run: install ## Start the mesh, run an assessment on the sample essays, stop (JUDGE=...)
	$(PY) -m deploy.local run $(foreach r,$(REPLICAS),--replicas $(r)) $(if $(JUDGE),--judge $(JUDGE))

.PHONY: up
up: install ## Start infrastructure + all services in the background (REPLICAS=...)
	$(PY) -m deploy.local up $(foreach r,$(REPLICAS),--replicas $(r))

.PHONY: down
down: ## Stop everything `make up` started
	@if [ -x $(PY) ]; then $(PY) -m deploy.local down; else echo "nothing to stop"; fi

.PHONY: status
status: ## Show what `make up` started and whether it answers
	$(PY) -m deploy.local status

.PHONY: bench
bench: $(INSTALL_STAMP) ## Run every bench/*.py (each prints key=value figures last)
	@shopt -s nullglob; files=(bench/*_bench.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks yet"; exit 0; fi; \
	for f in "$${files[@]}"; do echo "== $$f"; $(PY) "$$f"; done

.PHONY: clean
clean: down ## Stop the mesh and remove local state (.run/, caches)
	rm -rf .run .pytest_cache .mypy_cache .ruff_cache
