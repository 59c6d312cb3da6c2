# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYENV  ?= $(HOME)/.pyenv/versions

.PHONY: demo test test-all test-version fuzz bench gradbench docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev,dask]'
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/quickstart.py

test: $(VENV)/.installed-dev
	$(PY) -m pytest -n auto --dist worksteal

# every supported Python (3.9 to 3.13) found under pyenv, each in a venv of its own
VERSIONS ?= 3.9 3.10 3.11 3.12 3.13
test-all:
	@set -e; for v in $(VERSIONS); do $(MAKE) --no-print-directory test-version V=$$v; done

test-version:
	@py=$$(ls -d $(PYENV)/$(V).*/bin/python 2>/dev/null | tail -n 1); \
	if [ -z "$$py" ]; then echo "python $(V): not installed, skipped"; exit 0; fi; \
	echo "== python $(V) ($$py)"; \
	[ -x .venv-$(V)/bin/python ] || $$py -m venv .venv-$(V); \
	.venv-$(V)/bin/python -m pip install --quiet --upgrade pip && \
	.venv-$(V)/bin/python -m pip install --quiet -e '.[dev]' && \
	.venv-$(V)/bin/python -m pytest -n auto --dist worksteal

# long differential fuzzing: make fuzz MINUTES=30
MINUTES ?= 10
fuzz: $(VENV)/.installed-dev
	$(PY) tests/fuzz/run.py --minutes $(MINUTES)

bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run.py --markdown docs/performance.md

gradbench: $(VENV)/.installed
	$(PY) benchmarks/gradbench/relay.py --markdown docs/gradbench.md

docs: $(VENV)/.installed-dev
	$(PY) -m wengert.rules.doc > docs/rules.md
	$(PY) docs/gen_how_it_works.py
	$(PY) tests/test_errors_doc.py

clean:
	rm -rf $(VENV) .venv-3.* build src/*.egg-info .pytest_cache
