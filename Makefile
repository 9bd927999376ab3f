# cbc_teach: the two commands of the README, plus a few for developers.
#   make lab    set up .venv (once), open JupyterLab on the course's start page
#   make test   set up .venv with the test tools (once), run every test
# Re-running is fast: packages are reinstalled only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# JupyterLab refuses to start as root without this flag (containers, CI machines).
LAB_FLAGS := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
SANITIZE := tests/nbval_sanitize.cfg
PYTEST_NB := $(BIN)/python -m pytest --nbval --nbval-sanitize-with $(SANITIZE) --nbval-cell-timeout=300 -p no:cacheprovider

.PHONY: lab test lint unit notebooks-test bench notebooks browser-deps sandbox-deps app clean help

help:
	@echo "make lab | make test | make bench | make notebooks | make app | make clean"

# --- environment -----------------------------------------------------------------------------
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python venv support is missing; installing python3-venv with apt"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv && \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[lab]'
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[lab,test,browser]'
	@touch $@ $(VENV)/.lab-installed

# Chromium for the real-browser tests: Debian's package, never a downloaded browser build.
browser-deps:
	@bash tools/ensure_chromium.sh

# bubblewrap (bwrap): the grader's sandbox for students' kernels (Debian package 'bubblewrap').
sandbox-deps:
	@bash tools/ensure_bubblewrap.sh

# --- the two commands ------------------------------------------------------------------------
lab: $(VENV)/.lab-installed
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/00_start_here.ipynb

test: $(VENV)/.test-installed browser-deps sandbox-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -p no:cacheprovider --doctest-modules cbc_teach tests
	$(PYTEST_NB) notebooks exercises app

# --- developers ------------------------------------------------------------------------------
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

bench: $(VENV)/.test-installed sandbox-deps
	$(BIN)/python benchmarks/run.py

notebooks: $(VENV)/.test-installed
	$(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb exercises/*.ipynb app/*.ipynb

app: $(VENV)/.test-installed
	$(BIN)/voila app/explorers.ipynb

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
