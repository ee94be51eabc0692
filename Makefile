# The two commands a newcomer needs: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-reset test bench check lint format install clean chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "deliberate needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/deliberate demo

demo-reset: $(STAMP)
	$(BIN)/deliberate demo --reset

check: $(STAMP)
	$(BIN)/ruff check deliberate federation web schemas tests
	$(BIN)/ruff format --check deliberate federation web schemas tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# The browser journeys (tests/browser) drive Debian's Chromium; Playwright's own browser download cannot work here.
chromium:
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq --no-install-recommends chromium \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }; \
		else echo "The browser tests need Debian's chromium: run 'sudo apt-get install --no-install-recommends chromium'"; exit 1; fi; }

test: check chromium
	$(BIN)/pytest -n 2 --dist loadfile

# Benchmarks (tests/bench/README.md): minutes long, never part of `make test`. wrk comes from Debian's packages.
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/pytest tests/bench -v

format: $(STAMP)
	$(BIN)/ruff format deliberate federation web schemas tests
	$(BIN)/ruff check --fix deliberate federation web schemas tests

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
