# The two commands of README.md: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint prerequisites clean

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

# Two test processes (pytest-xdist): the suite takes about half as long on two cores.
# make test TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

test: $(STAMP) prerequisites lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .import_linter_cache
