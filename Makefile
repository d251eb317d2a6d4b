# make test     ruff, unit tests, doctests of gdlib, and nbval over every notebook in book/
# make test-portable  strict nbval again where floating point comes out differently: XLA
#                 compiled for older instruction sets (PORTABLE_ISAS), and on one core
# make test-latest  every notebook on Python 3.12 with the newest releases pip finds, gdlib
#                 installed as on Colab (no myst-nb): no error, no warning, every claim holds
# make test-install  gdlib installed from the package alone, with and without its extras, in
#                 fresh environments: every module imports, a missing extra is named (slow; CI)
# make mutation  mutation testing of the core modules with cosmic-ray (long; not in make test)
# make book     the HTML book in _build/html (warnings are errors)
# make outputs  re-execute the notebooks in book/ in place (after changing gdlib)
# make check-html  build, then open every page in headless Chromium, offline (screenshots, JS
#                 errors, requests off the machine, broken links, tracebacks; moves the sliders
#                 and legends of the interactive figures)
# make clean    remove _build
# make bench    benchmarks against optax, torch.optim and numpy, run side by side (several
#               minutes; not part of make test): a table, and benchmarks/results/*.json
#
# Everything runs in .venv, which this Makefile owns: it is built from requirements.txt on
# first use and rebuilt from scratch when requirements.txt changes; gdlib is installed into it
# in editable mode. Set PYTHON=/path/to/python3.x to choose the interpreter.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' 2>/dev/null | sort)
# With several notebooks, nbval runs them NBVAL_WORKERS at a time, a whole notebook per worker
# (`make test NBVAL_WORKERS=1` runs them one by one).
NBVAL_WORKERS ?= 2
NBVAL_XDIST = $(if $(and $(word 2,$(NOTEBOOKS)),$(filter-out 0 1,$(NBVAL_WORKERS))),-n $(NBVAL_WORKERS) --dist loadfile,)

# Extra options for every pytest run, e.g. `make test PYTEST_FLAGS="-x"`.
PYTEST_FLAGS ?=
# The unit tests and the doctests run in TEST_WORKERS processes (`make unit TEST_WORKERS=1`
# runs them in one, in order).
TEST_WORKERS ?= 2
TEST_XDIST = $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS),)

# The same environment for tests, notebooks and the book, whatever the machine and the user's
# own configuration: CPU only, fixed hash seed, matplotlib and IPython settings of our own.
export JAX_PLATFORMS := cpu
export PYTHONHASHSEED := 0
export JUPYTER_PLATFORM_DIRS := 1
export MPLCONFIGDIR := $(CURDIR)/$(VENV)/config/matplotlib
export IPYTHONDIR := $(CURDIR)/$(VENV)/config/ipython
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# JAX's persistent compilation cache, kept in .venv: a second `make test` loads the programs
# the first one compiled instead of compiling them again. A speed-up only: a cached program is
# the same program (its key holds the jax version, the compiler options and XLA_FLAGS, so a
# capped instruction set compiles its own), and an empty cache gives the same results.
# A size limit (1 GB) turns on JAX's file lock, so that parallel workers never read an entry
# that another is still writing. `make test JAX_COMPILATION_CACHE_DIR=` runs without it.
export JAX_COMPILATION_CACHE_DIR ?= $(CURDIR)/$(VENV)/jax-cache
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS ?= 0
export JAX_COMPILATION_CACHE_MAX_SIZE ?= 1000000000

.PHONY: test lint unit doctest nbval book check-html outputs clean venv bench test-portable \
        test-latest test-install mutation

venv: $(STAMP)

# A changed requirements.txt rebuilds the environment from scratch, so that it holds exactly
# what the file lists; a changed pyproject.toml only reinstalls gdlib.
$(VENV)/.requirements: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "Python 3.11 or newer is needed; found '$(PYTHON)'" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar off -r requirements.txt
	@# Build matplotlib's font cache now, not inside the first notebook (it would print a note).
	$(BIN)/python -c 'import matplotlib.pyplot'
	touch $@

$(STAMP): $(VENV)/.requirements pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

test: lint unit doctest nbval book
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/pytest $(TEST_XDIST) $(PYTEST_FLAGS) tests

# pytest exits with 5 when it collects nothing: gdlib without a single docstring example, or a
# book/ without a notebook, is not a failure. Any other non-zero status is.
doctest: $(STAMP)
	$(BIN)/pytest $(TEST_XDIST) $(PYTEST_FLAGS) --doctest-modules gdlib || [ $$? -eq 5 ]

# `make nbval NBVAL_PATHS=book/momentum.ipynb` (or test-portable) checks some notebooks only.
NBVAL_PATHS ?= book
NBVAL = $(BIN)/pytest $(PYTEST_FLAGS) --nbval --nbval-current-env \
  --nbval-sanitize-with nbval_sanitize.cfg $(NBVAL_PATHS)
nbval: $(STAMP)
	$(NBVAL) $(NBVAL_XDIST) || [ $$? -eq 5 ]

# The stored outputs must be what any machine computes, not only this one. XLA:CPU compiles
# for the instruction set it finds (AVX-512 here, AVX2 on many laptops, NEON on a Mac), and
# the number of cores changes how some reductions are split; both change the last bits of a
# result. Strict nbval runs again with XLA capped to older instruction sets, then on one core.
# An output that differs prints digits the computation does not determine, or sits on the
# edge of a threshold: fix the experiment or the print, never the stored output alone.
# These runs compile everything afresh (no persistent cache), as the other machine would.
PORTABLE_ISAS ?= SSE4_2 AVX2
test-portable: $(STAMP)
	@export JAX_COMPILATION_CACHE_DIR=; status=0; \
	for isa in $(PORTABLE_ISAS); do \
	  echo "== strict nbval with XLA compiled for $$isa"; \
	  XLA_FLAGS="--xla_cpu_max_isa=$$isa $${XLA_FLAGS:-}" $(NBVAL) $(NBVAL_XDIST) \
	    || [ $$? -eq 5 ] || status=1; \
	done; \
	echo "== strict nbval on one core"; \
	taskset -c 0 $(NBVAL) || [ $$? -eq 5 ] || status=1; \
	exit $$status

# Colab runs the notebooks on Python 3.12 with newer releases than requirements.txt pins, and
# without myst-nb. Here: a fresh environment of that kind, gdlib installed as the Colab cell
# installs it (a regular install with the "book" extra, from this checkout instead of the
# repository URL), then every notebook in a fresh kernel. Digits may differ from the stored
# outputs; errors, warnings and failed claims may not.
# The first Python 3.12 that runs: on PATH, or one that pyenv installed but did not activate.
LATEST_PYTHON ?= $(firstword $(foreach p,python3.12 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12),\
  $(shell $(p) -c 'import sys; print(sys.executable)' 2>/dev/null)))
LATEST := .venv-latest
test-latest:
	@[ -n "$(LATEST_PYTHON)" ] || { echo "test-latest needs python3.12 (set LATEST_PYTHON)" >&2; exit 1; }
	rm -rf $(LATEST)
	$(LATEST_PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --progress-bar off --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --progress-bar off --upgrade \
	  "gdlib[book] @ file://$(CURDIR)" nbclient nbformat ipykernel
	@$(LATEST)/bin/python -m pip list --format=freeze | grep -iE '^(jax|jaxlib|numpy|matplotlib|ipywidgets|optax|torch|scikit.learn)=='
	export MPLCONFIGDIR=$(CURDIR)/$(LATEST)/config/matplotlib \
	  IPYTHONDIR=$(CURDIR)/$(LATEST)/config/ipython; \
	$(LATEST)/bin/python -c 'import matplotlib.pyplot'; \
	$(LATEST)/bin/python scripts/execute_notebooks.py --check -j 2 book

# What a user gets from the package alone: gdlib built from this checkout (not editable, not
# requirements.txt) into fresh environments, once without extras and once with gdlib[test]
# (book, oracles, data, test). requirements.txt is given as constraints only: it adds no
# package, so a dependency the package forgets to declare still fails here, but pip takes the
# tested versions (and PyTorch's CPU build). scripts/check_install.py runs from outside the
# checkout: every module imports, a missing extra fails with a message naming it, and with
# the test extra the whole test suite collects.
INSTALL := _build/venv-install
test-install:
	rm -rf $(INSTALL) build
	$(PYTHON) -m venv $(INSTALL)/core
	$(INSTALL)/core/bin/python -m pip install --quiet --progress-bar off -c requirements.txt \
	  "gdlib @ file://$(CURDIR)"
	cd $(INSTALL) && core/bin/python $(CURDIR)/scripts/check_install.py
	$(PYTHON) -m venv $(INSTALL)/test
	$(INSTALL)/test/bin/python -m pip install --quiet --progress-bar off -c requirements.txt \
	  "gdlib[test] @ file://$(CURDIR)"
	cd $(INSTALL) && test/bin/python $(CURDIR)/scripts/check_install.py --extras test
	$(INSTALL)/test/bin/pytest --collect-only -q -p no:cacheprovider tests | tail -1
	rm -rf build

# Mutation testing (tests/mutation/mutate.py): cosmic-ray writes one-line bugs into each core
# module in turn and runs that module's tests, one mutant at a time; a survivor must be killed
# by a new test or listed in tests/mutation/EQUIVALENT.md. Hours on 2 cores: not in make test.
# `make mutation MUTATE="batches schedules"` runs some modules.
MUTATE ?=
mutation: $(STAMP)
	$(BIN)/python tests/mutation/mutate.py $(MUTATE)

# MathJax 2.7 is served with the book (as _static/mathjax), so that math renders offline too.
# Its files come from the jupyter-server-mathjax wheel, installed without its dependencies:
# only the files are used, not the Jupyter server extension around them.
MATHJAX_WHEEL := jupyter-server-mathjax==0.2.6
MATHJAX := _build/mathjax/mathjax
$(VENV)/.mathjax: $(VENV)/.requirements
	$(BIN)/python -m pip install --quiet --no-deps $(MATHJAX_WHEEL)
	touch $@

# BokehJS, which draws the interactive figures, is served the same way (as _static/bokeh), one
# copy for the whole site: copied from the bokeh wheel by gdlib.viz.web, and loaded only by
# the pages that have such a figure.
BOKEHJS := _build/bokeh/bokeh
book: $(STAMP) $(VENV)/.mathjax
	rm -rf $(MATHJAX) && mkdir -p $(dir $(MATHJAX))
	cp -r "$$($(BIN)/python -c 'import importlib.util as u, os; \
	  print(os.path.join(u.find_spec("jupyter_server_mathjax").submodule_search_locations[0], "static"))')" \
	  $(MATHJAX)
	rm -rf $(BOKEHJS) && $(BIN)/python -m gdlib.viz.web $(BOKEHJS)
	$(BIN)/jupyter-book build . -n -W --keep-going
	@echo
	@echo "Open file://$(CURDIR)/_build/html/index.html"
	@# Loud, not fatal: the placeholder repository URL (or a build that is not the release the
	@# Colab cells pin) must not be published. scripts/set_repository.py says how to fix it.
	@$(BIN)/python scripts/set_repository.py --warn

# Every page of the built book in headless Chromium, offline: screenshots in _build/screenshots,
# page weights in _build/page-weights.json, and a failure for JavaScript errors, requests that
# leave the machine, missing images, broken links, tracebacks or pages over 8 MB; on pages with
# interactive figures it moves a slider and toggles a legend entry, and fails if the drawing
# does not change. Playwright (from requirements.txt) drives the Debian package's Chromium.
check-html: book
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "Installing Chromium (Debian package) for the browser check"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	$(BIN)/python scripts/check_html.py _build/html

outputs: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py -j 2 book

# Numpy is a peer here: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (set on some machines for old
# OpenBLAS builds) slow a current one, so they are unset for this command alone.
# `make bench BENCH_FLAGS="--only step,sweep"` runs some of them.
BENCH_FLAGS ?=
# The maintainers' table of targets (benchmarks/README.md) is rewritten from the saved results.
bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks $(BENCH_FLAGS)
	$(BIN)/python -m benchmarks.report benchmarks/README.md

clean:
	rm -rf _build
