# The two commands of README.md: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint docs translations prerequisites clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo: a fresh demo database, simulated platforms, the real collectors, the metrics,
# then the dashboard with the printed logins (Ctrl+C ends it). DEMO_ARGS passes options,
# e.g. make demo DEMO_ARGS="--no-serve --seed 7".
demo: $(STAMP)
	$(BIN)/replywatch demo $(DEMO_ARGS)

prerequisites:
	bash scripts/prerequisites.sh

# ruff, then the layering of DESIGN.md (import-linter contracts in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

# The manual on http://127.0.0.1:8000/, rebuilt on every save (make test builds it strictly,
# in tests/test_docs.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# After changing a text: extract the message ids and merge them into the German catalogue
# (metrics/locales/de/LC_MESSAGES/replywatch.po), translate what it lists, run it again to
# compile the .mo (committed; docs/maintainers/translations.md).
translations: $(STAMP)
	$(BIN)/python scripts/translations.py extract
	$(BIN)/python scripts/translations.py compile

# Two test processes (pytest-xdist): the suite takes about half as long on two cores.
# make test TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
# Run the suite as if the clock said another time (tests/support/test_clock.py), e.g.
# make test TEST_CLOCK=+400d   or   make test TEST_CLOCK=2027-03-01T06:00:00+01:00
TEST_CLOCK ?= $(REPLYWATCH_TEST_CLOCK)

test: $(STAMP) prerequisites lint
	REPLYWATCH_TEST_CLOCK=$(TEST_CLOCK) $(BIN)/python -m pytest -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .import_linter_cache build/site
