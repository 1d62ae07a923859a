# Entente: `make demo` runs a demo server, `make test` runs the whole suite, `make test-fast` the inner loop,
# `make bench` the benchmarks.
# Works on a fresh machine with Python 3.11+: creates .venv, installs, and installs the Debian
# packages the project needs when run as root (otherwise it says exactly what to install).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8080
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils fonts-dejavu-core fonts-noto-core fonts-noto-cjk chromium

.PHONY: demo test test-fast bench install system-deps lint clean

# The demo's published links, log origin and PDF certificate name the address it serves on (unless
# ENTENTE_SERVER_PUBLIC_URL says otherwise).
demo: export ENTENTE_SERVER_PUBLIC_URL ?= http://$(HOST):$(PORT)
demo: install system-deps
	$(BIN)/entente init --demo
	@echo
	@echo "Entente demo: open http://$(HOST):$(PORT)/ and sign in with one of the logins above."
	$(BIN)/entente serve --host $(HOST) --port $(PORT)

# Tests run on every core (pytest-xdist; an idle worker steals queued tests from a busy one);
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto

# Tests write bytecode even where the environment says not to: each worker then imports compiled modules
# instead of compiling the package and the test modules again.
test: install system-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The inner loop: SQLite only (PostgreSQL ignored even when ENTENTE_TEST_POSTGRES_URL is set), no browser,
# no PDF rendering, a quarter of each property's generated examples. `make test` before pushing runs what
# this leaves out.
test-fast: install
	env -u ENTENTE_TEST_POSTGRES_URL PYTHONDONTWRITEBYTECODE= ENTENTE_TEST_EXAMPLE_SHARE=0.25 $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not browser and not pdf" $(PYTEST_ARGS)

bench: install
	@for script in tests/bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: install
	$(BIN)/ruff check platform tests
	$(BIN)/mypy

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Entente needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

system-deps:
	@missing=""; \
	for pkg in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages:$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif command -v dpkg-query >/dev/null; then \
	  echo "Entente needs these Debian packages; install them with:"; \
	  echo "  sudo apt-get install$$missing"; exit 1; \
	else \
	  echo "Entente needs Pango (for WeasyPrint) and poppler-utils; install them with your package manager."; \
	fi

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
