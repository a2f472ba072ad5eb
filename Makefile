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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Two test processes (pytest-xdist): the suite takes about half as long on two cores.
# make test TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
# Run the suite as if the clock said another time (tests/support/test_clock.py), e.g.
# make test TEST_CLOCK=+400d   or   make test TEST_CLOCK=2027-03-01T06:00:00+01:00
TEST_CLOCK ?= $(REPLYWATCH_TEST_CLOCK)

test: $(STAMP) prerequisites lint
	REPLYWATCH_TEST_CLOCK=$(TEST_CLOCK) $(BIN)/python -m pytest -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
