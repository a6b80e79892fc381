# Every target bootstraps .venv from requirements.lock when it is absent or older than the lock.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lab refresh site bench robustness lock clean

run: $(STAMP)  ## robustness pass (cached), then every notebook into build/notebooks, collect results, render build/site
	$(PY) -m techduel run

test: $(STAMP)  ## unit tests, data validation, runner tests, nbval over notebooks/
	$(PY) -m pytest

lab: $(STAMP)  ## JupyterLab on notebooks/ with the project kernel
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

refresh: $(STAMP)  ## write notebooks/robustness.csv from a robustness pass, then re-execute the committed notebooks in place
	$(PY) -m techduel refresh

site: $(STAMP)  ## render build/site from build/notebooks
	$(PY) -m techduel site

robustness: $(STAMP)  ## the robustness pass alone (build/robustness*.csv, figures); `make run` does it first anyway
	$(PY) -m techduel robustness

bench: $(STAMP)  ## naive papermill loop vs the runner cold, warm and after one change; writes build/bench.json
	$(PY) -m techduel bench

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "techduel needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name techduel --display-name "Python 3 (techduel)" >/dev/null
	touch $(STAMP)

lock:  ## regenerate requirements.lock from pyproject.toml in a scratch venv (needs the network)
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet --disable-pip-version-check ".[test,dask]"
	.lockvenv/bin/pip freeze --exclude-editable --exclude techduel | sed '/^techduel/d' > requirements.lock.new
	{ echo "# Exact versions for every install (pip path, CI, environment.yml). Regenerate with: make lock"; cat requirements.lock.new; } > requirements.lock
	rm -rf .lockvenv requirements.lock.new

clean:
	rm -rf build
