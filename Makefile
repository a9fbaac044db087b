# The two commands a fresh clone needs: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two install stamps: `make serve` installs the package only; `make test` adds the test tools and
# the examples' dependencies.
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8765
ARGS ?=

.PHONY: serve test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip's build chatter goes to a log, shown only when the install fails.
INSTALL_LOG := $(VENV)/install.log
PIP_INSTALL = $(BIN)/python -m pip install --quiet

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing mockpace into $(VENV) (log: $(INSTALL_LOG))"
	@$(PIP_INSTALL) -e . > $(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@touch $(SERVE_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing mockpace with its test tools into $(VENV) (log: $(INSTALL_LOG))"
	@$(PIP_INSTALL) -e '.[test,examples]' > $(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); exit 1; }
	@touch $(TEST_STAMP) $(SERVE_STAMP)

install: $(TEST_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/mockpace serve --host $(HOST) --port $(PORT) $(ARGS)

test: $(TEST_STAMP)
	$(BIN)/ruff check mockpace tests bench examples
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check mockpace tests bench examples
	$(BIN)/mypy

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
