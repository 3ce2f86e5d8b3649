# Two commands on a fresh machine: `make run` and `make test` (README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install debian-tools lint lock run test deploy-test histories docs bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev-server,test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## Temporal dev server (SQLite file and Web UI), worker and API on 127.0.0.1:8000
run: install
	$(BIN)/exequatur run

## Debian tools the tests start: Chromium renders the consular list, nginx terminates mTLS
DEBIAN_TOOLS := chromium:chromium nginx:nginx-light
debian-tools:
	@for pair in $(DEBIAN_TOOLS); do tool=$${pair%%:*}; package=$${pair##*:}; \
	  command -v $$tool >/dev/null || PATH=$$PATH:/usr/sbin command -v $$tool >/dev/null || { \
	    [ "$$(id -u)" = 0 ] && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$package >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$package >/dev/null; }; } \
	    || { echo "install Debian's $$package package"; exit 1; }; }; done

## Lint, format and types of the package, then the whole suite against real servers (dev server, worker, HTTP, register)
test: install debian-tools lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

## ruff (lint and format) and mypy on exequatur/, hadolint on the image, the manifests offline
lint: install
	$(BIN)/ruff check exequatur
	$(BIN)/ruff format --check exequatur
	$(BIN)/mypy
	$(BIN)/hadolint deploy/Dockerfile
	$(BIN)/python deploy/lock.py --check
	$(BIN)/kubernetes-validate --strict --quiet deploy/kubernetes/*.yaml

## Re-compile deploy/requirements.lock (the image's pins, with hashes) from pyproject.toml
lock: install
	$(BIN)/python deploy/lock.py

## The image built, a compose stack of Temporal, PostgreSQL, two workers and two APIs driven and
## a worker killed in the middle (tests/deploy/); everything it starts, it stops
deploy-test: install
	timeout 1500 $(BIN)/python -m pytest -q -p no:cacheprovider tests/deploy

## Re-record tests/histories/*.json from the scenario tests (then review and commit them)
histories: install
	EXEQUATUR_EXPORT_HISTORIES=tests/histories $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_api_scenarios.py tests/test_timers.py tests/test_precedence.py tests/test_posts_to_the_end.py tests/test_convention_edges.py tests/test_households.py tests/test_incidents.py

## Re-write docs/lifecycles.md and docs/articles.md from the declarations (tests check they are current)
docs: install
	$(BIN)/python -c "from exequatur.models.kinds import lifecycles_markdown; print(lifecycles_markdown(), end='')" > docs/lifecycles.md
	$(BIN)/python docs/articles.py

## Performance figures as ratios in one run (QUICK=1 for the short version)
bench: install
	timeout 5400 $(BIN)/python -m bench $(if $(QUICK),--quick,)

## Re-take the Web UI screenshots of the README (docs/screenshots/) against a fresh `exequatur run`
screenshots: install debian-tools
	timeout 300 $(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
