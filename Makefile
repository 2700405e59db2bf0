# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
UV_VERSION := 0.13.9
REGION ?= demo

# Prefect runs offline here: no telemetry, no update checks.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install lock run test lint clean serve bench bench-quick pantau

PREFECT_PORT ?= 4200

install: $(STAMP)

# Every Python package at the exact version and hashes of the lock, so a release upstream
# cannot change what a fresh clone installs (the lock is complete, hence --no-deps: pip
# resolves nothing; pip 23 otherwise re-resolved `httpx[http2]` past its pin), then the
# project itself, adding nothing.
$(STAMP): pyproject.toml $(LOCK) package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	# Stops when pyproject.toml needs a package the lock lacks (run `make lock`).
	$(BIN)/python -m pip check
	# Leaflet and its plugins are inlined into the offline map pages.
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# Rewrite the lock after changing dependencies in pyproject.toml (runtime and test extras).
# Versions already locked are kept where they still fit; `make lock UPGRADE=1` moves every
# package to its newest release. Resolved for Python 3.11 on Linux x86_64 from the public
# registry alone: uv does not read pip's configuration, so the machine's local indexes and
# constraints play no part. Run `make test` after it and commit the lock with the change.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip compile --no-config pyproject.toml --extra test --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --generate-hashes $(if $(UPGRADE),--upgrade) \
	  --quiet -o $(LOCK)

run: install
	$(BIN)/jangkau run $(REGION)

test: install
	$(BIN)/python -m pytest -q

# A local Prefect server on 127.0.0.1 and every region's weekly deployment, served until Ctrl-C.
serve: install
	PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api bash -c '\
	  $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT) > .prefect-server.log 2>&1 & server=$$!; \
	  trap "kill $$server" EXIT; \
	  $(BIN)/python -m flows.serve --wait-for-server && $(BIN)/python -m flows.serve'

# Speed and memory: Maros, Sulawesi Selatan, 1-2 workers, the national synthetic input
# (about 40 minutes on 2 cores); writes benchmarks/results.md. bench-quick: the first two.
bench: install
	$(BIN)/python -m benchmarks.travel
	$(BIN)/python -m benchmarks.run --scaling --national

bench-quick: install
	$(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check jangkau flows tests benchmarks
	$(BIN)/ruff format --check jangkau flows tests benchmarks

clean:
	rm -rf $(VENV) data/raw/demo data/processed/* maps/*
	git checkout -- data/processed/README.md maps/README.md

# The live status service of a region (issue 17) on 127.0.0.1:8765; `make pantau REGION=demo`;
# `make pantau PANTAU_ARGS=--prefect` with a Prefect server running (updates as flow runs).
pantau: REGION = maros
pantau: install
	$(BIN)/jangkau pantau serve $(REGION) --host 127.0.0.1 --port 8765 $(PANTAU_ARGS)
