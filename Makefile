# The two commands of the README: `make run` and `make test`. Both set up first (fast when done).
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint typecheck pytest webui-test perf doctor clean

setup:
	@bash build/setup.sh

run: setup
	@bash build/run.sh

test: setup lint typecheck pytest webui-test

lint:
	$(BIN)/ruff check backend tests plugins

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest

webui-test:
	npm test --silent

perf: setup
	$(BIN)/pajamas perf run

doctor: setup
	$(BIN)/pajamas doctor

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
