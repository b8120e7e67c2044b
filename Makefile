# The project's commands. `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: test demo lab setup clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,demo]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

## make test: create .venv if missing, install the package with its test extra, run every test
test: $(STAMP)
	$(PY) -m pytest

## make demo: run the demos offline against the emulator and write rendered output into build/demo/
demo: $(STAMP)
	$(PY) notebooks/run_demos.py build/demo

## make lab: JupyterLab with the extension installed and the emulator chosen
lab: $(STAMP)
	$(PY) -m pip install --quiet jupyterlab
	VERTEX_IMAGE_BACKEND=emulator $(VENV)/bin/jupyter lab --ip=127.0.0.1 notebooks/

clean:
	rm -rf $(VENV) build .pytest_cache
