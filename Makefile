# Every target builds .venv by itself from nothing but python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Extra pip requirement, e.g. OPENAI_SPEC="openai>=2,<3" to test the other SDK major.
OPENAI_SPEC ?=

.PHONY: demo test pytest test-openai2 lint typecheck bench record record-local clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,dev]" $(if $(OPENAI_SPEC),"$(OPENAI_SPEC)")
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck pytest

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

# The same suite against the other openai SDK major (CI runs both).
test-openai2:
	$(MAKE) pytest VENV=.venv-openai2 OPENAI_SPEC="openai>=2,<3"

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py

# Re-record every cassette against the live gateway (needs SKILLBOSS_WHOLESALE_KEY).
record: $(STAMP)
	@test -n "$$SKILLBOSS_WHOLESALE_KEY" || { echo "make record needs SKILLBOSS_WHOLESALE_KEY (a SkillBoss wholesale key)"; exit 2; }
	SKILLBOSS_RECORD=live $(BIN)/python -m pytest -q tests/replay examples

# Re-record every cassette against the project's scripted local server (no key needed).
record-local: $(STAMP)
	SKILLBOSS_RECORD=local $(BIN)/python -m pytest -q tests/replay

clean:
	rm -rf $(VENV) .venv-* .mypy_cache .ruff_cache
