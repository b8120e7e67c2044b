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

## make test: create .venv if missing, install the package with its test extra (and Debian's chromium for
## the browser test), run every test: unit, emulator, google-genai, browser, and nbval over notebooks/
test: $(STAMP)
	bash tests/browser/setup.sh $(VENV)
	$(PY) -m pytest

## make demo: run the demos offline against the emulator and write rendered output into build/demo/
demo: $(STAMP)
	$(PY) notebooks/run_demos.py build/demo

## make lab: JupyterLab with the extension installed and the emulator chosen
lab: $(STAMP)
	VERTEX_IMAGE_BACKEND=emulator $(VENV)/bin/jupyter lab --ip=127.0.0.1 notebooks/

clean:
	rm -rf $(VENV) build .pytest_cache
