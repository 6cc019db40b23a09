# avacollab: `make run` starts a signaling server, `make test` runs everything CI runs.
# Both set up what they need first, from nothing but Python 3.11+, Node and apt.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
PLUGINS  := $(wildcard plugins/*/pyproject.toml)
EXAMPLES := $(wildcard examples/*/pyproject.toml)
NODE_DIRS := $(patsubst %/package.json,%,$(wildcard js/package.json bench/js/package.json plugins/*/tests/js/package.json))
# Debian packages the tests use: coturn (TURN relay), chromium (browser
# reference in benchmarks), iproute2 (network namespaces for link cuts),
# xvfb + x11-xserver-utils + ffmpeg (screen capture under a virtual X server),
# redis-server (the shared room state of several server processes).
HOST ?= 127.0.0.1
PORT ?= 8765

.PHONY: run test setup system-deps node-deps lint typecheck pytest jstest web bench clean

run: setup
	@echo "Starting avacollab serve on $(HOST):$(PORT). In another terminal, join a room with:"
	@echo "  $(BIN)/avacollab join demo --server ws://$(HOST):$(PORT)/ws --name alice"
	$(BIN)/avacollab serve --host $(HOST) --port $(PORT)

test: setup system-deps node-deps lint typecheck pytest jstest

# The venv is rebuilt when a pyproject changes; the stamp keeps reruns fast.
setup: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml $(PLUGINS) $(EXAMPLES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,redis]' $(foreach p,$(PLUGINS),-e '$(dir $(p))[test]')
	touch $@

system-deps:
	@missing=""; \
	command -v turnserver >/dev/null || missing="$$missing coturn"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v ip >/dev/null || missing="$$missing iproute2"; \
	command -v Xvfb >/dev/null || missing="$$missing xvfb"; \
	command -v xsetroot >/dev/null || missing="$$missing x11-xserver-utils"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

node-deps:
	@for d in $(NODE_DIRS); do \
		[ -d $$d/node_modules ] || npm ci --prefix $$d --no-audit --no-fund --loglevel=error || exit 1; \
	done

# Python files only: ruff would also reformat the code blocks in the docs.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check $$(git ls-files '*.py')

# Plugins are checked from their own directory with their own settings; mypy
# cannot follow setuptools' editable-install hooks, so the core comes via MYPYPATH.
typecheck: setup
	$(BIN)/mypy avacollab tests
	@for p in $(dir $(PLUGINS)) $(dir $(EXAMPLES)); do \
		(cd $$p && MYPYPATH=$(CURDIR) ../../$(BIN)/mypy --config-file pyproject.toml . ) || exit 1; \
	done

# Coverage starts before pytest so that it also sees the modules the pytest11
# plugin (avacollab.testing) imports while pytest starts up.
# Each plugin is its own distribution with its own tests/ package, so each
# gets its own pytest run (one run would mix up the `tests` packages). The
# examples' tests run inside tests/test_hello_example.py, against a copy
# installed the way a third party would install it.
pytest: setup
	$(BIN)/coverage run --source=avacollab -m pytest -q
	$(BIN)/coverage report --skip-covered --sort=cover
	@for p in $(dir $(PLUGINS)); do \
		echo "== $$p"; (cd $$p && ../../$(BIN)/pytest -q) || exit 1; \
	done

# The browser client (js/): its types, then its tests, some of which start
# the venv's `avacollab serve`.
jstest: setup node-deps
	cd js && npm run --silent typecheck && npm test

# Rebuild the client bundle and the web editor shipped inside the package
# (avacollab/web; commit the result: tests/test_web_client.py fails when it
# is not what js/ builds).
web: node-deps
	cd js && npm run --silent build

bench: setup node-deps
	$(PY) bench/signaling.py
	$(PY) bench/bus.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage
