# Two commands on a fresh machine: `make run` and `make test` (README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install chromium run test histories bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## Temporal dev server (SQLite file and Web UI), worker and API on 127.0.0.1:8000
run: install
	$(BIN)/exequatur run

## Debian's Chromium renders the printable consular list in the tests
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; } \
	  || { echo "install Debian's chromium package (apt-get install chromium)"; exit 1; }

## The whole suite against real servers (dev server, worker, HTTP, register)
test: install chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider

## Re-record tests/histories/*.json from the scenario tests (then review and commit them)
histories: install
	EXEQUATUR_EXPORT_HISTORIES=tests/histories $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_api_scenarios.py tests/test_timers.py tests/test_precedence.py tests/test_posts_to_the_end.py

## Performance figures as ratios in one run (QUICK=1 for the short version)
bench: install
	$(BIN)/python -m bench.precedence $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
