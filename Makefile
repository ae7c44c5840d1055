# Two commands do all set-up: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
# Development server only: the test and production paths never set DEBUG.
DEV_ENV := DJANGO_DEBUG=true
# The test environment is in pyproject.toml ([tool.pytest.ini_options] env): `pytest` alone
# runs the suite as `make test` does, in one process; make test uses a worker per core
# (whole modules each, so module-scoped fixtures such as the browser crawl run once), and names
# the slowest tests, where the suite's time goes.
PYTEST_ARGS ?= -n auto --dist loadscope --durations=15

.PHONY: run test lock lint format messages superuser seed serve-prod backup restore bench clean

# Exactly the versions in requirements.lock, each checked against its hash, so that a new
# release (of ruff's rules, say) cannot turn a fresh clone red. `make lock` upgrades them.
LOCK := requirements.lock
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Every dependency to its newest release that pyproject.toml and requirements-build.in allow.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements-build.in --extra dev --generate-hashes \
		--python-version 3.11 --custom-compile-command "make lock" --upgrade --quiet \
		--output-file $(LOCK)
	$(MAKE) $(STAMP)

run: $(STAMP)
	$(DEV_ENV) $(MANAGE) migrate --noinput
	$(DEV_ENV) $(MANAGE) loaddata fixtures/seed.json
	$(DEV_ENV) $(MANAGE) export_bulk --if-changed
	@echo "Admin login: run 'make superuser' in another terminal, then open http://127.0.0.1:8000/admin/"
	$(DEV_ENV) $(MANAGE) runserver 127.0.0.1:8000

seed: $(STAMP)
	$(DEV_ENV) $(MANAGE) migrate --noinput
	$(DEV_ENV) $(MANAGE) loaddata fixtures/seed.json

superuser: $(STAMP)
	$(DEV_ENV) $(MANAGE) migrate --noinput
	$(DEV_ENV) $(MANAGE) createsuperuser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# axe-core and the Nu HTML checker for the browser suite, pinned in package-lock.json.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else \
		echo "npm not found: the browser checks will be skipped (under CI they fail)."; \
	fi

test: lint $(NODE_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# Production: needs DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL (see .env.example).
# The page cache is the Redis on this machine unless DJANGO_CACHE_URL is set (empty: none).
serve-prod: export DJANGO_CACHE_URL ?= redis://127.0.0.1:6379/1
serve-prod: $(STAMP)
	$(MANAGE) check --deploy
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn registry.wsgi -c registry/gunicorn.conf.py

# Portable backup by natural keys: restores into an empty SQLite or PostgreSQL database.
BACKUP ?= backup.json
backup: $(STAMP)
	$(MANAGE) dumpdata agreements auth.user auth.group --natural-foreign --natural-primary \
		--exclude agreements.finderside --exclude agreements.finderlink \
		--indent 1 --output $(BACKUP)

restore: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) loaddata $(BACKUP)

# Interface text: Swedish in the code, English in locale/en; Swedish for third-party admin
# screens that ship none in locale/sv (see thirdparty_messages). Both .po and .mo are committed.
messages: $(STAMP)
	$(DEV_ENV) $(MANAGE) makemessages -l en --no-location \
		--ignore=.venv --ignore=node_modules --ignore=tests --ignore=test-artifacts --ignore=locale
	$(DEV_ENV) $(MANAGE) thirdparty_messages
	$(DEV_ENV) $(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

# National-scale benchmark on the local PostgreSQL (see bench/benchmark.py; about ten minutes).
bench: $(STAMP)
	$(BIN)/python bench/benchmark.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
