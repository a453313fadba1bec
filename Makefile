# The two commands a new user needs: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install browser spark clean-warehouse

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Canvass needs Python >= 3.11, this is " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	@# -qq: pip's errors only (its notices about the machine's index settings are not Canvass's output)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: generate demo data and run the whole pipeline on the embedded Postgres
demo: $(STAMP)
	$(BIN)/canvass demo

## lint: ruff, sqlfluff and dbt parse (warnings are errors)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# sqlfluff's dbt templater compiles incremental models, which asks the database what exists
	$(BIN)/canvass warehouse start
	@# the embedded warehouse authenticates: dbt's profile finds its password in .warehouse/pgpass
	PGPASSFILE=$(CURDIR)/.warehouse/pgpass $(BIN)/sqlfluff lint models data-tests
	@# every warning an error (a duplicated YAML key is only a deprecation warning to dbt); a full
	@# parse, since a partial one skips the files that did not change
	$(BIN)/dbt parse --quiet --no-partial-parse --warn-error

## browser: Debian's Chromium for the dashboard tests (as root; skipped with a message otherwise)
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium: browser tests will be skipped"; \
	else echo "no /usr/bin/chromium and not root: browser tests will be skipped"; fi

## spark: the Spark extra for `canvass lake` and the Spark tests (pyspark: a 456 MB source
## package pip builds once, about 2 minutes), and Debian's Java 17 runtime if there is no java
SPARK_STAMP := $(VENV)/.spark-installed
$(SPARK_STAMP): $(STAMP)
	@if command -v java >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's openjdk-17-jre-headless for Spark"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
		|| echo "could not install Java: the Spark tests will be skipped"; \
	else echo "no java and not root: the Spark tests will be skipped"; fi
	$(BIN)/python -m pip install -qq -c constraints.txt -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

spark: $(SPARK_STAMP)

## test: lint, then the whole test suite against a real Postgres
test: $(STAMP) browser lint
	$(BIN)/pytest

clean-warehouse:
	-$(BIN)/canvass warehouse stop
	rm -rf .warehouse landing artifacts reports .prefect target
