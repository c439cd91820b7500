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

# Every example: live with SKILLBOSS_WHOLESALE_KEY, else replayed from cassettes/examples/.
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
	@# The peers (langchain-openai, llama-index-llms-openai-like) live only in .venv-bench.
	@if [ ! -f .venv-bench/.installed ] || [ pyproject.toml -nt .venv-bench/.installed ] \
		|| [ benchmarks/requirements.txt -nt .venv-bench/.installed ]; then \
		set -e; $(PYTHON) -m venv .venv-bench; \
		.venv-bench/bin/python -m pip install --quiet --upgrade pip; \
		.venv-bench/bin/python -m pip install --quiet -e ".[all]" -r benchmarks/requirements.txt; \
		touch .venv-bench/.installed; \
	fi
	.venv-bench/bin/python benchmarks/run.py $(BENCH_ARGS)

# Re-record every cassette against the live gateway (needs SKILLBOSS_WHOLESALE_KEY): the
# examples first (each records its own when SKILLBOSS_RECORD is set, see
# examples/_gateway_mode.py), then the replay suites and the README snippets; the replay run of
# tests/replay/test_examples.py then checks the freshly recorded example cassettes.
RECORDED_TESTS := tests/replay tests/unit/test_readme.py

record:
	@test -n "$$SKILLBOSS_WHOLESALE_KEY" || { echo "make record needs SKILLBOSS_WHOLESALE_KEY (a SkillBoss wholesale key); make record-local needs none"; exit 2; }
	@$(MAKE) --no-print-directory $(STAMP)
	SKILLBOSS_RECORD=live $(BIN)/python examples/run_all.py
	SKILLBOSS_RECORD=live $(BIN)/python -m pytest -q $(RECORDED_TESTS)

# The same against the project's scripted gateway on 127.0.0.1 (no key, no network).
record-local: $(STAMP)
	SKILLBOSS_RECORD=local $(BIN)/python examples/run_all.py
	SKILLBOSS_RECORD=local $(BIN)/python -m pytest -q $(RECORDED_TESTS)

clean:
	rm -rf $(VENV) .venv-* .mypy_cache .ruff_cache
