# Two commands: `make run` starts the whole suite on SQLite; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: install run test lint typecheck format migrate bench bench-quick bench-ab bench-tools lock clean demo browser-tools token

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)
	$(PY) -m babel.messages.frontend compile --statistics -d services/reporting/locale -D messages

migrate: install
	$(PY) -m services.migrate

run: migrate
	$(PY) -m services.run

# A token for the local stack, its last line of output: make token ROLE=inspector [SUB=alice] [HOURS=8]
ROLE ?=
SUB ?=
HOURS ?= 8
token: install
	@test -n "$(ROLE)" || { echo "usage: make token ROLE=admin|inspector|area_assessor|system|reader [SUB=<subject>] [HOURS=8]"; exit 2; }
	@$(PY) -m services.token "$(ROLE)" "$(SUB)" "$(HOURS)"

# Two xdist workers, each with its own stack and databases; then, alone, the tests marked serial.
test: lint typecheck
	$(PY) -m pytest -n 2 -m "not serial"
	$(PY) -m pytest -m serial

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Strict on shared/ and every service's logic/ (pyproject.toml [tool.mypy]); a package joins this list once it is clean.
TYPED := shared demo services/gateway services/questionnaires services/reporting services/run.py services/migrate.py services/cases/logic services/scoring/logic

typecheck: install
	$(PY) -m mypy $(TYPED)

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The services with the project's runtime dependencies only (the image's `pip install .` has no dev extras), for the benchmark: httpx imports
# rich and pygments wherever they are installed (the dev extras bring them), about 7 MB more in every service.
RUNTIME := .venv-runtime
RUNTIME_STAMP := $(RUNTIME)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

$(RUNTIME_STAMP): pyproject.toml constraints.txt | $(STAMP)
	test -x $(RUNTIME)/bin/python || $(PYTHON) -m venv $(RUNTIME)
	$(RUNTIME)/bin/python -m pip install --quiet --upgrade pip
	$(RUNTIME)/bin/python -m pip install --quiet -c constraints.txt -e .
	rm -f $(RUNTIME)/.installed-*
	touch $(RUNTIME_STAMP)

# `make bench`: every measure on fresh PostgreSQL databases (OMI_BENCH_POSTGRES_URL, default the local server),
# the table printed and bench/results.json written; BENCH_ARGS for more (e.g. --only ingest, --sqlite, --strict).
BENCH_ARGS ?=
bench: install bench-tools $(RUNTIME_STAMP)
	OMI_BENCH_SERVICE_PYTHON=$(RUNTIME)/bin/python $(PY) -m bench $(BENCH_ARGS)

# The same code with small counts (under a minute on a quiet machine): CI runs it so the benchmark cannot rot.
bench-quick: install bench-tools $(RUNTIME_STAMP)
	OMI_BENCH_SERVICE_PYTHON=$(RUNTIME)/bin/python $(PY) -m bench --quick --output bench/results-quick.json $(BENCH_ARGS)

# Two versions compared in one sitting: BASE (a commit, in a scratch worktree) and this tree, the write loads
# alternated between their suites; BENCH_ARGS for more (e.g. --loads put-direct,put-gw --rounds 6).
bench-ab: install bench-tools $(RUNTIME_STAMP)
	@test -n "$(BASE)" || { echo "make bench-ab BASE=<commit>"; exit 2; }
	OMI_BENCH_SERVICE_PYTHON=$(RUNTIME)/bin/python $(PY) -m bench.ab $(BASE) $(BENCH_ARGS)

# The benchmark's load generator and reference proxy (Debian's wrk and nginx), installed where missing; without
# them (no root, no network) the benchmark still runs and names the rows it skipped.
bench-tools:
	@if command -v wrk >/dev/null && { command -v nginx >/dev/null || test -x /usr/sbin/nginx; }; then :; \
	else apt-get install -y -q wrk nginx || { apt-get update -q && apt-get install -y -q wrk nginx; } \
	  || echo "bench-tools: could not install wrk and nginx; the benchmark will skip the rows needing them"; fi

# What the browser test needs (Debian): headless Chromium and pdftoppm. The test installs them itself under CI=true.
browser-tools:
	apt-get install -y -q chromium poppler-utils

# A complete West Midlands inspection through the API of the stack `make run` started (OMI_DEMO_URL).
demo: install
	$(PY) -m demo

# Re-pin the whole tree after changing a direct dependency in pyproject.toml.
lock:
	rm -rf /tmp/omi-lock && $(PYTHON) -m venv /tmp/omi-lock
	/tmp/omi-lock/bin/pip install --quiet --upgrade pip && /tmp/omi-lock/bin/pip install --quiet '.[dev]'
	/tmp/omi-lock/bin/pip freeze --exclude-editable | grep -v '^omi-platform' > constraints.txt

clean:
	rm -rf $(VENV) $(RUNTIME) data .pytest_cache .hypothesis
