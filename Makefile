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

# First use on the embedded SQLite default: database, a sample client and account, status.
demo: $(STAMP)
	$(BIN)/replywatch init
	$(BIN)/replywatch client show "Sample Bakery" >/dev/null 2>&1 || \
	  $(BIN)/replywatch client add "Sample Bakery" --time-zone Europe/Berlin \
	    --hours "mon-fri 08:00-18:00, sat 09:00-12:00" --holidays DE-BY --target 4h
	$(BIN)/replywatch account list --client "Sample Bakery" | grep -q "@sample@mastodon.social" || \
	  $(BIN)/replywatch account add --client "Sample Bakery" --platform mastodon \
	    --handle @sample@mastodon.social
	$(BIN)/replywatch status

prerequisites:
	bash scripts/prerequisites.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) prerequisites lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
