# Plaza's commands (design.md §2). Each target installs what it needs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./plaza-data
PYTEST_ARGS ?=

.PHONY: install run test lint bench clean constraints

install: $(STAMP)

# constraints.txt pins every package to the versions the suite last passed with
# (regenerate with `make constraints` after changing dependencies in pyproject.toml).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip>=24'
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

constraints:
	$(BIN)/pip freeze --exclude-editable | grep -v '^pip==' > constraints.txt

run: install
	$(BIN)/plaza serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: install
	./scripts/ensure-services.sh
	$(MAKE) lint
	$(BIN)/pytest -n 2 --dist loadgroup --durations=20 $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/chat.py --moderation-cost
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/request_path.py
	$(BIN)/python bench/moments.py
	$(BIN)/python bench/media.py
	$(BIN)/python bench/publish.py
	$(BIN)/python bench/moderation.py

clean:
	rm -rf $(VENV) plaza-data .pytest_cache
