# Two commands for a fresh machine: `make run` (terminal chat, SQLite, no token needed) and
# `make test`. Both create .venv and install the project from pyproject.toml first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint format eval bench clean

$(BIN)/optout-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: $(BIN)/optout-bot
	$(BIN)/optout-bot run

# The storage tests' PostgreSQL: this machine kind's own server (trust auth, database `test`), as
# in CI, so that `make test` runs what CI runs; set it empty to leave those tests out.
test: export OPTOUT_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
test: $(BIN)/optout-bot
	$(BIN)/ruff check bot tests bench
	$(BIN)/pytest -q

lint: $(BIN)/optout-bot
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

format: $(BIN)/optout-bot
	$(BIN)/ruff format bot tests bench
	$(BIN)/ruff check --fix bot tests bench

eval: $(BIN)/optout-bot
	for file in tests/data/eval.yaml tests/data/eval.*.yaml; do \
		echo "== $$file"; $(BIN)/optout-bot eval $$file | sed -n 1,6p; done

bench: $(BIN)/optout-bot
	$(BIN)/python bench/bench_answer.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
