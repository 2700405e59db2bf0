# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REGION ?= demo

# Prefect runs offline here: no telemetry, no update checks.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install run test lint clean serve bench bench-quick

PREFECT_PORT ?= 4200

install: $(STAMP)

$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	# Leaflet and its plugins are inlined into the offline map pages.
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

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
	$(BIN)/python -m benchmarks.run --scaling --national

bench-quick: install
	$(BIN)/python -m benchmarks.run

lint: install
	$(BIN)/ruff check jangkau flows tests benchmarks
	$(BIN)/ruff format --check jangkau flows tests benchmarks

clean:
	rm -rf $(VENV) data/raw/demo data/processed/* maps/*
	git checkout -- data/processed/README.md maps/README.md
