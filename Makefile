# The project's commands. `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_STAMP := $(VENV)/.demo-installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: test demo lab setup bench clean labextension

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,demo]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP) labextension

# The panel's front-end piece (prebuilt in ext/labextension/dist/). A wheel installs it as data files, but
# `pip install -e` leaves data files out (a setuptools limitation), so link it where JupyterLab looks, as
# `jupyter labextension develop` would.
LABEXT_DIR := $(VENV)/share/jupyter/labextensions
labextension: $(STAMP)
	@mkdir -p $(LABEXT_DIR) && if [ -L $(LABEXT_DIR)/vertex-image ] || [ ! -e $(LABEXT_DIR)/vertex-image ]; then \
	  ln -sfn $(CURDIR)/ext/labextension/dist/vertex-image $(LABEXT_DIR)/vertex-image; fi  # a wheel's copy stays

# The demo needs only the runtime, a kernel and the notebook renderer (the demo extra), with its own stamp;
# a full install ($(STAMP): test and demo extras) satisfies it too, so `make test` then `make demo` installs nothing.
$(DEMO_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ -f $(STAMP) ]; then touch $@; else \
	  echo "First run: installing the runtime, ipykernel and nbconvert into $(VENV) (about a minute), then the demos"; \
	  start=$$(date +%s); $(PY) -m pip install --quiet --upgrade pip && $(PY) -m pip install --quiet -e '.[demo]' && \
	  rm -f $(VENV)/.demo-installed-* && touch $@ && echo "Installed in $$(( $$(date +%s) - start )) s"; fi

# The bench extra (google-genai, LiteLLM) on top of the usual ones, with its own stamp: `make test` does not need it.
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	@rm -f $(VENV)/.bench-installed-*
	@touch $@

## make test: create .venv if missing, install the package with its test extra (and Debian's chromium for
## the browser test), run every test: unit, emulator, google-genai, browser, and nbval over notebooks/
test: $(STAMP) labextension
	bash tests/browser/setup.sh $(VENV)
	$(PY) -m pytest

## make demo: run the demos offline against the emulator and write rendered output into build/demo/
demo: $(DEMO_STAMP)
	@start=$$(date +%s); $(PY) notebooks/run_demos.py build/demo && \
	  echo "The demos ran in $$(( $$(date +%s) - start )) s; build/demo/ holds the rendered notebooks"

## make lab: JupyterLab with the extension installed and the emulator chosen (as root too: Docker, hosted notebooks)
lab: $(STAMP) labextension
	VERTEX_IMAGE_BACKEND=emulator $(VENV)/bin/jupyter lab --ip=127.0.0.1 $$([ "$$(id -u)" = 0 ] && echo --allow-root) notebooks/

## make bench: vertex-image side by side with google-genai, LiteLLM and bare httpx on a local server, interleaved
## per round (bench/run.py; ~4 minutes); the table is printed and written to build/bench/results.md.
## BENCH_ARGS=--quick for a short run, BENCH_ARGS="--only 1k,tiny" for some rows.
bench: $(BENCH_STAMP)
	LITELLM_LOCAL_MODEL_COST_MAP=True $(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache
