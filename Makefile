# flowhub: `make run` serves everything embedded; `make test` runs the linters and every test.
# Both create the virtualenv and install the pinned requirements on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/flowhub
TEST_REDIS_URL ?= redis://127.0.0.1:6379
# The SQLite pass must not inherit a distributed configuration from the caller's shell.
EMBEDDED_ENV := env -u DATABASE_URL -u CELERY_BROKER_URL

.PHONY: run test lint test-embedded test-distributed clean

$(BIN)/.installed: requirements/base.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/python manage.py serve

# The linters and the two passes run side by side: the PostgreSQL pass mostly waits on processes it started,
# and the linters take a minute and a half that would otherwise come first. Any of the three failing fails it.
test: $(BIN)/.installed
	$(MAKE) --no-print-directory -j3 --output-sync=target lint test-embedded test-distributed

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict flowhub/engine
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

# Engine and API tests on SQLite, and `manage.py serve` end to end (filesystem broker).
test-embedded: $(BIN)/.installed
	$(EMBEDDED_ENV) $(BIN)/python -m pytest -n 2 -m "not distributed"

# Everything that touches a database again on PostgreSQL (the engine's tests need none, and the `embedded`
# ones start processes of their own on SQLite whatever the tests use: both ran above),
# plus the web server and a celery worker as processes on Redis and RabbitMQ.
# A file's tests stay on one worker (--dist loadfile): an end-to-end module starts its stack once. Four
# workers on two cores: they mostly wait on their stacks, and one waits out the scheduler's three-minute
# test (marked long, collected first).
test-distributed: $(BIN)/.installed
	@FLOWHUB_TEST_DATABASE_URL=$(TEST_DATABASE_URL) FLOWHUB_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python -m tests.services; status=$$?; \
	if [ $$status -eq 2 ]; then echo "SKIPPED: the PostgreSQL + Redis pass (set CI=true to make this a failure)"; exit 0; fi; \
	if [ $$status -ne 0 ]; then exit $$status; fi; \
	DATABASE_URL=$(TEST_DATABASE_URL) FLOWHUB_TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest -n 4 --dist loadfile --ignore=tests/engine -m "not embedded"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
