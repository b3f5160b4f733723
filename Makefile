# Medborg: `make run` serves the demo, `make test` runs every test. `make help` lists all.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
ASSETS := medborg/web/static/build/medborg.css
# One worker for every queue in TASKS; it restarts on code changes like runserver.
WORKER := $(MANAGE) db_worker --queue-name='*' --reload
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help run worker test bench lint format messages assets install demo check-deploy clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3-venv is missing; installing it from Debian"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && \
	  $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install Medborg with its test tools

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund
	@touch $@

$(ASSETS): node_modules/.package-lock.json scripts/build-assets.mjs $(wildcard medborg/web/scss/*.scss)
	npm run --silent build

assets: $(ASSETS) ## Build the design system and map assets from npm packages

gettext:
	@command -v msgfmt >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gettext; }

MO_FILES := $(patsubst %.po,%.mo,$(wildcard medborg/locale/*/LC_MESSAGES/django.po))
medborg/locale/%.mo: medborg/locale/%.po | gettext
	msgfmt --check-format -o $@ $<

compiled-messages: $(MO_FILES)

.PHONY: gettext compiled-messages

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests"; fi; }

.PHONY: chromium

demo: install assets compiled-messages ## Migrate the SQLite database and load the demo data if it is empty
	$(MANAGE) migrate --no-input
	$(MANAGE) load_demo

# The server runs in the background too: bash delays traps until a foreground
# command ends, so a stopped make would leave it running. <&0 keeps the terminal
# for breakpoint(); whichever way the server ends, the worker is stopped with it.
run: demo ## Serve the demo at http://127.0.0.1:8000 with a task worker (SQLite, demo data)
	@trap 'kill $$server $$worker 2>/dev/null; wait' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP; \
	$(WORKER) & worker=$$!; \
	$(MANAGE) runserver 127.0.0.1:8000 <&0 & server=$$!; \
	wait $$server

worker: install compiled-messages ## Run only a task worker for all queues, for a server started another way
	$(WORKER)

test: install assets compiled-messages chromium ## Run the whole suite (SQLite; PostgreSQL when DATABASE_URL is set)
	$(BIN)/pytest

bench: install assets compiled-messages ## Run the benchmarks; results in bench/results/
	$(BIN)/python bench/run.py
	$(BIN)/python bench/staff.py
	$(BIN)/python bench/decisions.py
	$(BIN)/python bench/opendata.py
	$(BIN)/python bench/open311.py
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/jit.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/storage.py

lint: install ## ruff, template format, migrations and translations up to date
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djhtml --check $$(git ls-files '*.html')
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/python -m medborg.web.translations_check

format: install ## Format Python and templates in place
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/djhtml $$(git ls-files '*.html')

messages: install gettext ## Update the translation catalogs after changing texts
	$(MANAGE) makemessages --no-obsolete --no-location -l sv -l da -l en --ignore '.venv/*' --ignore 'node_modules/*'

check-deploy: install ## Run Django's deployment checks with production settings
	MEDBORG_ENV=production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	  ALLOWED_HOSTS=medborg.example.se DATABASE_URL=postgres://medborg@localhost/medborg \
	  REDIS_URL=redis://localhost:6379/0 EMAIL_URL=smtp+tls://localhost:587 \
	  MEDBORG_BASE_URL=https://medborg.example.se \
	  $(MANAGE) check --deploy --fail-level WARNING

clean: ## Remove the venv, built assets and the local database
	rm -rf $(VENV) node_modules medborg/web/static/build staticfiles db.sqlite3* media
