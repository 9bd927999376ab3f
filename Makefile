# cbc_teach: the two commands of the README, plus a few for developers.
#   make lab    set up .venv (once), open JupyterLab on the course's start page
#   make test   set up .venv with the test tools (once), run every test
#   make app    set up .venv with Voila only (once), serve the explorers' app
# Re-running is fast: packages are reinstalled only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# JupyterLab refuses to start as root without this flag (containers, CI machines).
LAB_FLAGS := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
SANITIZE := tests/nbval_sanitize.cfg
PYTEST_NB := $(BIN)/python -m pytest --nbval --nbval-sanitize-with $(SANITIZE) --nbval-cell-timeout=300 -p no:cacheprovider

# make lab serves the repository's top folder (notebooks/, exercises/, app/ all reachable) and
# opens the start page; the URL it prints opens the start page too (when no browser opens).
START_PAGE := notebooks/00_start_here.ipynb
# (LabApp.default_url: JupyterLab hands its own default_url to the server, over ServerApp.default_url.)
LAB_ARGS := $(LAB_FLAGS) --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/$(START_PAGE)
OLDEST := .venv-oldest

.PHONY: lab test lint unit notebooks-test bench notebooks browser-deps sandbox-deps app clean help \
	binder-pins test-oldest

help:
	@echo "make lab | make test | make app | make bench | make notebooks | make binder-pins | make test-oldest | make clean"

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

$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[app]'
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[lab,app,test,browser]'
	@touch $@ $(VENV)/.lab-installed $(VENV)/.app-installed

# Chromium for the real-browser tests: Debian's package, never a downloaded browser build.
browser-deps:
	@bash tools/ensure_chromium.sh

# bubblewrap (bwrap): the grader's sandbox for students' kernels (Debian package 'bubblewrap').
sandbox-deps:
	@bash tools/ensure_bubblewrap.sh

# --- the two commands ------------------------------------------------------------------------
lab: $(VENV)/.lab-installed
	$(BIN)/jupyter lab $(LAB_ARGS)

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

app: $(VENV)/.app-installed
	$(BIN)/voila app/explorers.ipynb

# Binder's environment: every dependency (with the lab and app extras) pinned to an exact version
# for the Python of binder/runtime.txt. tests/test_deploy.py builds a fresh environment from it.
binder-pins: $(VENV)/.test-installed
	$(BIN)/uv pip compile pyproject.toml --extra lab --extra app --python-version 3.11 --python-platform linux \
	  --upgrade --quiet --custom-compile-command "make binder-pins" -o binder/requirements.txt

# The declared lower bounds, tested: the lowest version of every direct dependency (test tools
# included), then the unit tests, the doctests and one notebook. Transitive dependencies are the
# newest that fit.
test-oldest: $(VENV)/.test-installed
	rm -rf $(OLDEST)
	$(BIN)/uv venv -q --python $(BIN)/python $(OLDEST)
	$(BIN)/uv pip install -q --python $(OLDEST)/bin/python --resolution lowest-direct -e '.[test]'
	$(BIN)/uv pip list --python $(OLDEST)/bin/python > $(OLDEST)/versions.txt
	$(OLDEST)/bin/python -m pytest -p no:cacheprovider -q --doctest-modules cbc_teach tests \
	  -m 'not browser and not slow' --ignore=tests/test_browser.py
	$(OLDEST)/bin/python -m pytest --nbval --nbval-sanitize-with $(SANITIZE) -p no:cacheprovider \
	  -q notebooks/03_leukopenia_and_neutropenia.ipynb

clean:
	rm -rf $(VENV) $(OLDEST) build dist *.egg-info .pytest_cache
