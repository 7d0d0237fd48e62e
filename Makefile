# locatr: `make run` starts everything on a laptop; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Where `make run` serves; reminder emails link to it (SITE_URL).
LOCATR_PORT ?= 8000

.PHONY: run test lint imports security format typecheck bench bench-quick clean-venv

$(VENV)/.runtime-installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

.env:
	@$(PYTHON) bin/write-dev-env .env

## run: venv + pinned requirements, migrate SQLite, demo accounts, web + worker + beat
run: $(VENV)/.runtime-installed .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py create_demo_data
	LOCATR_PORT=$(LOCATR_PORT) SITE_URL=http://127.0.0.1:$(LOCATR_PORT) \
		$(VENV)/bin/honcho start --procfile Procfile

## test: install test requirements and run the whole suite
test: $(VENV)/.dev-installed .env
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## imports: the import contracts of pyproject.toml (apps depend one way, layers)
imports: $(VENV)/.dev-installed
	$(VENV)/bin/lint-imports

## security: ruff's bandit rules (S) at their strictest over all app code, migrations
## included: every rule, preview rules too, no config ignores; only a `# noqa: S...`
## with its reason on the line silences one finding.
security: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --isolated --no-cache --target-version py311 --preview \
		--select S locatr intake levelofcare bin

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## typecheck: mypy strict with django-stubs over locatr, intake and levelofcare
typecheck: $(VENV)/.dev-installed .env
	$(VENV)/bin/mypy

## bench: rule evaluations per second and the impact preview over 100k assessments
bench: $(VENV)/.dev-installed .env
	$(PY) bench/rules_bench.py
	$(PY) bench/impact_bench.py
	$(PY) bench/load_bench.py
	$(PY) bench/sweep_bench.py
	$(PY) bench/reports_bench.py
	$(PY) bench/fhir_bench.py

bench-quick: $(VENV)/.dev-installed .env
	$(PY) bench/rules_bench.py --quick
	$(PY) bench/impact_bench.py --quick
	$(PY) bench/load_bench.py --quick
	$(PY) bench/sweep_bench.py --quick
	$(PY) bench/reports_bench.py --quick
	$(PY) bench/fhir_bench.py --quick

clean-venv:
	rm -rf $(VENV)
