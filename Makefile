# Tollgate: the README's commands. `make run` and `make test` work on a fresh clone.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SRC := middleware detectors
TESTS ?= tests

.PHONY: run test lint format typecheck policy-check bench eval clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

## run: start Tollgate on 127.0.0.1:8080 (admin 8081); without TOLLGATE_UPSTREAM_URL a demo upstream is started too
run: $(STAMP)
	@if [ -z "$$TOLLGATE_UPSTREAM_URL" ]; then \
		echo "TOLLGATE_UPSTREAM_URL is not set: starting the bundled demo upstream"; \
		$(VENV)/bin/tollgate serve --config deploy/tollgate.yaml --demo-upstream; \
	else \
		$(VENV)/bin/tollgate serve --config deploy/tollgate.yaml; \
	fi

## test: lint, type-check, lint and test the baseline policy pack, then the whole test suite
test: $(STAMP) lint typecheck policy-check
	$(PY) -m pytest -q $(TESTS)

## policy-check: the security team's gate on policies/ (strict: warnings fail too)
policy-check: $(STAMP)
	$(VENV)/bin/tollgate policy lint --strict policies/
	$(VENV)/bin/tollgate policy test policies/

lint: $(STAMP)
	$(VENV)/bin/ruff check $(SRC) tests bench
	$(VENV)/bin/ruff format --check $(SRC) tests bench

format: $(STAMP)
	$(VENV)/bin/ruff check --fix $(SRC) tests bench
	$(VENV)/bin/ruff format $(SRC) tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

## bench: proxy overhead and throttle cost benchmarks (write bench/results/)
bench: $(STAMP)
	$(PY) bench/bench_proxy.py
	$(PY) bench/bench_throttle.py

## eval: detection quality and cost on ../shared/data (writes bench/results/detection.json,
## learned.json): pattern detectors, learned detectors (leave-one-dataset-out), whole policy
eval: $(STAMP)
	$(PY) bench/eval.py
	$(PY) bench/eval_learned.py
	$(PY) bench/eval_policy.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
