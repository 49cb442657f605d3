# Waypoint: `make run` installs everything and serves the demo; `make test` installs and tests.
# Both are idempotent: the stamp files below make a second run install nothing new.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
VENDOR_STAMP := static/vendor/.built

.PHONY: install run test lint format clean

install: $(PY_STAMP) $(VENDOR_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	@echo "==> Installing Python packages into $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@$(BIN)/python -c "import weasyprint" >/dev/null 2>&1 || { \
	  echo "ERROR: WeasyPrint (the MDT report's PDF) cannot load Pango."; \
	  echo "       Install the system package 'libpango-1.0-0' (and 'libpangoft2-1.0-0'):"; \
	  echo "       sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0   (Fedora: pango)"; \
	  exit 1; }
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	@echo "==> Installing front-end packages from package-lock.json (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The NHS.UK stylesheet is purged to the classes our files use (scripts/purge_css.py), so it is
# rebuilt whenever a template, a Python module or a script changes (a merge bringing new pages).
PURGE_SOURCES := $(shell find templates app static/js -type f \( -name '*.html' -o -name '*.py' -o -name '*.js' \) 2>/dev/null)

$(VENDOR_STAMP): $(NPM_STAMP) $(PY_STAMP) scripts/build_vendor.py scripts/purge_css.py $(PURGE_SOURCES)
	@echo "==> Building static/vendor from node_modules (NHS.UK CSS purged to what the pages use)"
	@$(BIN)/python scripts/build_vendor.py
	@touch $@

run: install
	@echo "==> Applying database migrations ($${DATABASE_URL:-SQLite in instance/})"
	@$(BIN)/flask --app wsgi db upgrade
	@echo "==> Seeding demo data if the database has no staff yet"
	@$(BIN)/flask --app wsgi demo seed
	@echo "==> Serving Waypoint on http://127.0.0.1:$(PORT) with the escalation watcher (Ctrl+C stops both)"
	@WAYPOINT_PORT=$(PORT) exec $(BIN)/honcho --no-colour -f Procfile start

test: install
	@echo "==> Running the tests on $${DATABASE_URL:-SQLite}"
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(PY_STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(PY_STAMP)
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
