# ovaregen: one command each for install, demo, test, lint, benchmark.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BYTECODE := $(VENV)/.bytecode
# Test processes in parallel (pytest-xdist): one per core by default; TEST_WORKERS=0 runs the
# suite in this process alone.
TEST_WORKERS ?= auto
# The installer is uv at the version the lock pins (its dev extra): .venv's own once installed,
# else uv from the PATH, else bootstrapped into .venv with pip (a missing tool installs itself).
# uv reads no pip.conf: it installs from PyPI unless UV_DEFAULT_INDEX / uv.toml say otherwise.
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements.lock)

.PHONY: install browser demo test lint bench lock dictionary reference clean

install: $(STAMP)

# Exactly the pinned lock (uv pip sync also removes what the lock does not hold), then ovaregen
# itself, editable. Re-run only when requirements.lock or pyproject.toml change.
$(STAMP): requirements.lock pyproject.toml
	@set -e; \
	if [ ! -x $(BIN)/python ]; then \
		if command -v $(PYTHON) >/dev/null 2>&1; then $(PYTHON) -m venv $(VENV); \
		elif command -v uv >/dev/null 2>&1; then uv venv --quiet --python 3.11 $(VENV); \
		else echo "make install needs Python 3.11 ($(PYTHON)) or uv on the PATH"; exit 2; fi; \
	fi; \
	uv=$(BIN)/uv; \
	if [ ! -x $$uv ]; then \
		if command -v uv >/dev/null 2>&1; then uv=uv; \
		else \
			echo "installing uv $(UV_VERSION) into $(VENV) (pip, once)"; \
			$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip >/dev/null; \
			$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; \
		fi; \
	fi; \
	$$uv pip sync --quiet --python $(BIN)/python requirements.lock; \
	$$uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: install
	$(BIN)/ovaregen demo --out build/demo

# Debian's Chromium for the browser tests (Playwright drives it by executable_path).
browser:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| { echo "make test needs Chromium: apt-get install chromium"; exit 2; }

# The test suite starts hundreds of Python processes (its workers, commands, servers): the
# installed packages are compiled to bytecode once for them, since where PYTHONDONTWRITEBYTECODE
# is set (containers, CI images) each process would compile them again (some 5 s each).
$(BYTECODE): $(STAMP)
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib
	touch $(BYTECODE)

# The clinic tests run on SQLite and on PostgreSQL (OVAREGEN_TEST_PG, default 127.0.0.1:5432):
# an unreachable server fails them with the reason; OVAREGEN_TEST_NO_POSTGRES=1 runs without it
# and the summary says PostgreSQL was not tested. .ci/run starts the local server first.
test: install browser $(BYTECODE)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py --out docs/benchmarks.md

# Regenerate the pinned lock from pyproject.toml (needs network access to the package index).
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python $(BIN)/python

# Regenerate the R reference numbers under tests/reference (needs R with pROC and survival);
# the plans' random datasets are rewritten first (same seed, same bytes).
reference: install
	@command -v Rscript >/dev/null || { echo "make reference needs R: apt-get install r-base-core r-cran-proc r-cran-survival"; exit 2; }
	$(BIN)/python tests/reference/plan_data.py
	cd tests/reference && for script in *.R; do echo "Rscript $$script"; Rscript "$$script" || exit 1; done

dictionary: install
	$(BIN)/ovaregen dictionary --out docs/data-dictionary.md

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
