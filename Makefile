# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYENV  ?= $(HOME)/.pyenv/versions

.PHONY: demo test test-all fuzz bench gradbench docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/quickstart.py

test: $(VENV)/.installed-dev
	$(PY) -m pytest

# every supported Python (3.9 to 3.13) found under pyenv, each in a venv of its own
test-all:
	@set -e; for v in 3.9 3.10 3.11 3.12 3.13; do \
	  py=$$(ls -d $(PYENV)/$$v.*/bin/python 2>/dev/null | tail -n 1); \
	  if [ -z "$$py" ]; then echo "python $$v: not installed, skipped"; continue; fi; \
	  echo "== python $$v ($$py)"; \
	  [ -x .venv-$$v/bin/python ] || $$py -m venv .venv-$$v; \
	  .venv-$$v/bin/python -m pip install --quiet -e '.[dev]'; \
	  .venv-$$v/bin/python -m pytest -q -x; \
	done

# long differential fuzzing: make fuzz MINUTES=30
MINUTES ?= 10
fuzz: $(VENV)/.installed-dev
	$(PY) tests/fuzz/run.py --minutes $(MINUTES)

bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/run.py --markdown docs/performance.md

gradbench: $(VENV)/.installed-dev
	$(PY) benchmarks/gradbench/relay.py --markdown docs/gradbench.md

docs: $(VENV)/.installed-dev
	$(PY) -m wengert.rules.doc > docs/rules.md
	$(PY) docs/gen_how_it_works.py
	$(PY) tests/test_errors_doc.py

clean:
	rm -rf $(VENV) .venv-3.* build src/*.egg-info .pytest_cache
