# Two commands do all set-up: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# nbgrader shells out to `alembic` found on PATH: the venv's bin/ must come first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: demo test test-fast build release grade clean venv lock

venv: $(STAMP)

# Every package at the version of requirements-dev.lock (universal: Python 3.11-3.14), then the
# course itself, editable, without resolving again.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --custom-compile-command "make lock"
lock:  ## re-resolve both lock files (after changing a pin in pyproject.toml)
	@test -x $(VENV)/bin/uv || { test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install --quiet uv==0.13.9; }
	$(UV_COMPILE) pyproject.toml -o requirements.lock
	$(UV_COMPILE) pyproject.toml --extra instructor --extra test -o requirements-dev.lock

demo: $(STAMP)  ## build, release, grade the sample submissions, print the gradebook
	$(PY) -m accel_instructor demo

test: $(STAMP)  ## the whole suite, including real autograding of sample submissions
	$(PY) -m pytest

test-fast: $(STAMP)  ## the inner loop (under a minute): no nbgrader runs, no browser, no timing
	$(PY) -m pytest -q -m "not nbgrader and not browser and not timing and not slow"

build: $(STAMP)  ## notebooks/*.py -> source/acceleration/*.ipynb
	$(PY) -m accel_instructor build

release: $(STAMP)  ## build, then the student notebooks in release/acceleration/
	$(PY) -m accel_instructor release

grade: $(STAMP)  ## autograde everything in submitted/
	$(PY) -m accel_instructor grade

clean:  ## remove grading state (keeps .venv, source/ and release/)
	rm -rf submitted autograded/*/ feedback gradebook.db grades.csv reports .grading-state.json
