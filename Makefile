# driftmend: `make demo` and `make test` set up everything they need (venv, Kafka, Redis).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WITH_ENV := eval "$$(scripts/services.sh env)" &&

.PHONY: venv tools up down status test unit demo lint bench bench-detection bench-peers bench-synth clean-state

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "python3.11 (or python3) is needed" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); echo "[venv] installing python3-venv from Debian's packages"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	  $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

up:
	@scripts/services.sh up

tools:
	@scripts/services.sh tools

down:
	@scripts/services.sh down

status:
	@scripts/services.sh status

test: venv tools up
	$(WITH_ENV) $(BIN)/ruff check app tests load_tests
	$(WITH_ENV) $(BIN)/mypy app load_tests
	$(WITH_ENV) $(BIN)/pytest

unit: venv
	$(BIN)/pytest tests --ignore=tests/integration

demo: venv up
	$(WITH_ENV) $(BIN)/driftmend demo

lint: venv
	$(BIN)/ruff check app tests load_tests
	$(BIN)/ruff format --check app
	$(BIN)/mypy app load_tests

bench: venv up
	$(WITH_ENV) $(BIN)/python -m load_tests.throughput

# side_venv DIR,PACKAGES: a venv that reuses the project venv's packages (a .pth file) and
# adds PACKAGES over them, like scripts/bench-venv.sh does for SDV
define side_venv
$(PYTHON) -m venv $(1); \
	  site() { "$$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }; \
	  site $(BIN)/python > "$$(site $(1)/bin/python)/zz_project_venv.pth"; \
	  $(1)/bin/python -m pip install -q $(2)
endef

# Evidently (the detection benchmark's comparison) needs pandas < 3
EVIDENTLY_VENV := .state/evidently-venv
bench-detection: venv
	@$(EVIDENTLY_VENV)/bin/python -c "import evidently" 2>/dev/null || { \
	  $(call side_venv,$(EVIDENTLY_VENV),evidently 'pandas<3'); }
	$(BIN)/python -m load_tests.detection --evidently $(EVIDENTLY_VENV)/bin/python

# whylogs and Evidently side by side with driftmend on the same windows (same side-venv trick)
PEERS_VENV := .state/peers-venv
bench-peers: venv
	@$(PEERS_VENV)/bin/python -c "import evidently, whylogs" 2>/dev/null || { \
	  $(call side_venv,$(PEERS_VENV),evidently whylogs 'pandas<3'); }
	$(BIN)/python -m load_tests.peers --peers $(PEERS_VENV)/bin/python

bench-synth: venv
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	scripts/bench-venv.sh
	$(BIN)/python -m load_tests.synth_bench --sdv .state/bench-venv/bin/python

clean-state:
	@scripts/services.sh clean
