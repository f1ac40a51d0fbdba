# The two commands of the README: `make run` and `make test`. Both set up first (fast when done).
VENV := .venv
BIN := $(VENV)/bin
# Data made by others that the project may not ship (LoCoMo, other tools' real files): CI keeps
# it beside the clone, and the tests marked shared_data read it from there.
SHARED_DATA := ../shared/data

.PHONY: setup run test lint typecheck pytest shared-data-tests webui-test perf doctor screenshots clean

setup:
	@bash build/setup.sh

run: setup
	@bash build/run.sh

# Each stage runs after the one before, and the first that fails stops the run.
test: setup lint typecheck pytest shared-data-tests webui-test

lint:
	$(BIN)/ruff check backend tests plugins examples

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest

# `pytest` leaves out the tests marked shared_data (pyproject's addopts); this stage runs them
# where the data is, and says in one line that it left them out where it is not.
shared-data-tests:
	@if [ -d $(SHARED_DATA) ]; then \
		echo "$(BIN)/python -m pytest -m shared_data"; $(BIN)/python -m pytest -m shared_data; \
	else \
		echo "shared-data tests left out: no $(SHARED_DATA) beside this clone (LoCoMo and other tools' real files, which the project may not ship)"; \
	fi

webui-test:
	npm test --silent

perf: setup
	$(BIN)/pajamas perf run

# Every page of the window, light and dark, as PNGs in docs/screenshots/ (the real app, over CDP).
screenshots: setup
	$(BIN)/python build/screenshots.py

doctor: setup
	$(BIN)/pajamas doctor

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
