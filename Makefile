# Every target sets up what it needs by itself, from nothing but python3, make and the package
# index: a pinned uv (in .venv-tools), then .venv exactly as uv.lock says. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
# Pythons for the version legs: make test-python PY=3.12, make test-lowest, make test-newest.
PY ?= 3.12
LOWEST_PY ?= 3.10
NEWEST_PY ?= 3.13

# The machine's own interpreters only (uv would otherwise download one); the project's venv is $(VENV).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# An interpreter for a version such as 3.12: pyenv's when pyenv has it, else pythonX.Y on PATH.
python_for = $(shell p=$$(pyenv prefix $(1) 2>/dev/null) && echo "$$p/bin/python" || echo python$(1))

.PHONY: help venv demo test lint typecheck pytest test-python test-lowest test-newest test-openai2 \
	test-proxy test-distributed python-path lock bench record record-local catalog coverage mutation clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	@echo "==> First run: installing uv $(UV_VERSION), which installs .venv from uv.lock, into $(TOOLS)"
	@python3 -m venv $(TOOLS)
	@$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

# uv sync is a no-op when .venv already matches uv.lock, and rebuilds .venv when it was made
# with another Python than $(PYTHON). --locked: refuse a uv.lock that pyproject.toml has outgrown.
venv: $(UV) ## install .venv from uv.lock (every extra and the dev group)
	@test -x $(BIN)/python || echo "==> Creating $(VENV) with $(PYTHON): the locked packages from uv.lock (about 130; a minute the first time)"
	@$(UV) sync --locked --all-extras --python "$(PYTHON)"

demo: venv ## run every example: live with SKILLBOSS_WHOLESALE_KEY, else replayed from cassettes
	$(BIN)/python -m demo.run

test: lint typecheck pytest ## ruff, mypy --strict and the whole suite, on the lock (what CI runs first)

lint: venv ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv ## mypy --strict
	$(BIN)/mypy

# The other legs pass PYTEST_ARGS='-m "not slow"': every style of the tests that wait out real
# seconds runs here, on the locked leg, and one style per client there (pyproject.toml).
PYTEST_ARGS ?=

pytest: venv ## the whole pytest suite
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-python: ## the suite on the lock with another Python: make test-python PY=3.13
	$(MAKE) --no-print-directory pytest PYTHON="$(call python_for,$(PY))" VENV=.venv-py$(PY) \
		PYTEST_ARGS='-m "not slow"'

# The lowest versions pyproject.toml allows for every direct dependency (runtime and dev tools),
# resolved afresh: proves the lower bounds are true. First the core alone (a core-only install
# may get older openai and pydantic than the frameworks allow), then everything. Covers openai 2.x.
test-lowest: $(UV) ## the suite on the lowest allowed versions (Python LOWEST_PY=3.10)
	@echo "==> Resolving the lowest versions skillboss_core allows into .venv-lowest-core (Python $(LOWEST_PY))"
	@$(UV) venv --quiet --clear .venv-lowest-core --python "$(call python_for,$(LOWEST_PY))"
	@VIRTUAL_ENV=.venv-lowest-core $(UV) pip install --quiet --resolution lowest-direct -e . --group test
	@VIRTUAL_ENV=.venv-lowest-core $(UV) pip list | grep -E '^(openai|pydantic|jiter) '
	.venv-lowest-core/bin/python -m pytest -q tests/unit/test_core_*.py
	@echo "==> Resolving the lowest allowed versions into .venv-lowest (Python $(LOWEST_PY))"
	@$(UV) venv --quiet --clear .venv-lowest --python "$(call python_for,$(LOWEST_PY))"
	@VIRTUAL_ENV=.venv-lowest $(UV) pip install --quiet --resolution lowest-direct -e ".[all]" \
		--group test --group conformance
	@VIRTUAL_ENV=.venv-lowest $(UV) pip list | grep -E '^(openai|pydantic|langchain-core|llama-index-core) '
	.venv-lowest/bin/python -m pytest -q -m "not slow"

# The newest versions the ranges allow, no lock: an upstream release that breaks users shows here.
test-newest: $(UV) ## the suite on the newest allowed versions, no lock (Python NEWEST_PY=3.13)
	@echo "==> Resolving the newest allowed versions into .venv-newest (Python $(NEWEST_PY))"
	@$(UV) venv --quiet --clear .venv-newest --python "$(call python_for,$(NEWEST_PY))"
	@VIRTUAL_ENV=.venv-newest $(UV) pip install --quiet --refresh -e ".[all]" --group dev
	@VIRTUAL_ENV=.venv-newest $(UV) pip list | grep -E '^(openai|pydantic|langchain-core|llama-index-core) '
	.venv-newest/bin/python -m pytest -q -m "not slow"

# The suite on the newest openai 2.x (the lock has 3.x), everything else from the lock.
test-openai2: $(UV) ## the suite on the newest openai 2.x, the rest locked (PY=3.12)
	@echo "==> Installing the lock with the newest openai 2.x into .venv-openai2 (Python $(PY))"
	@$(UV) venv --quiet --clear .venv-openai2 --python "$(call python_for,$(PY))"
	@$(UV) export --quiet --locked --all-extras --group dev --no-emit-project --no-hashes \
		| grep -v '^openai==' > .venv-openai2/constraints.txt
	@VIRTUAL_ENV=.venv-openai2 $(UV) pip install --quiet -e ".[all]" --group dev "openai>=2,<3" \
		-c .venv-openai2/constraints.txt
	@VIRTUAL_ENV=.venv-openai2 $(UV) pip list | grep -E '^(openai|pydantic|langchain-core|llama-index-core) '
	.venv-openai2/bin/python -m pytest -q -m "not slow"

# Our clients through a real OpenAI-compatible proxy: LiteLLM's proxy (pinned in
# tests/proxy/requirements.txt) on 127.0.0.1 in front of the scripted gateway, no network.
# .venv-proxy holds the project with the lock's versions of what our code runs on (openai,
# pydantic, jiter, the HTTP libraries, langchain-core, llama-index-core) plus LiteLLM's proxy
# and whatever else it needs; remade when uv.lock or the pin changes. The main venv has no
# litellm, so `make test` skips tests/proxy.
PROXY_LOCKED := openai|pydantic|pydantic-core|jiter|httpx|httpx2|httpcore|langchain-core|llama-index-core

# A side venv for one leg: the project on the lock's versions of what our code runs on
# ($(PROXY_LOCKED)) plus a pinned requirements file; rebuilt when either changes.
# $(1): the venv, $(2): the requirements file, $(3): what it adds, for the message.
define side_venv
@if [ ! -f $(1)/.installed ] || [ uv.lock -nt $(1)/.installed ] \
	|| [ $(2) -nt $(1)/.installed ]; then \
	set -e; echo "==> Creating $(1): the project on the lock's versions plus $(3)"; \
	$(UV) venv --quiet --clear $(1) --python "$(PYTHON)"; \
	$(UV) export --quiet --locked --all-extras --no-emit-project --no-hashes \
		| grep -E '^($(PROXY_LOCKED))==' > $(1)/constraints.txt; \
	VIRTUAL_ENV=$(1) $(UV) pip install --quiet -e ".[all]" --group test \
		-r $(2) -c $(1)/constraints.txt; \
	touch $(1)/.installed; \
fi
endef

test-proxy: $(UV) ## our clients through a LiteLLM proxy on 127.0.0.1 (.venv-proxy, about 1 minute)
	$(call side_venv,.venv-proxy,tests/proxy/requirements.txt,LiteLLM's proxy)
	@VIRTUAL_ENV=.venv-proxy $(UV) pip list | grep -E '^(litellm|openai|pydantic|langchain-core|llama-index-core) '
	.venv-proxy/bin/python -m pytest -q tests/proxy

# The batch recipes (examples/ray_batch.py, examples/dask_batch.py) on local Ray and Dask
# clusters bound to 127.0.0.1, against the scripted gateway, no network. .venv-distributed holds
# the project with the lock's versions of what our code runs on (as .venv-proxy) plus Ray Data
# and Dask distributed (pinned in tests/distributed/requirements.txt); remade when uv.lock or
# the pin changes. The main venv has neither, so `make test` skips tests/distributed.
test-distributed: $(UV) ## the Ray and Dask batch recipes on local clusters (.venv-distributed, about 2 minutes)
	$(call side_venv,.venv-distributed,tests/distributed/requirements.txt,Ray and Dask)
	@VIRTUAL_ENV=.venv-distributed $(UV) pip list | grep -E '^(ray|dask|distributed|openai|langchain-core|llama-index-core) '
	.venv-distributed/bin/python -m pytest -q -m distributed tests/distributed

python-path: ## print the interpreter the legs use for PY=3.x
	@echo "$(call python_for,$(PY))"

lock: $(UV) ## refresh uv.lock to the newest allowed versions (needs the package index)
	$(UV) lock --upgrade

bench: venv ## overhead against the raw openai SDK and the peers (about 4 minutes)
	@# The peers (langchain-openai, llama-index-llms-openai-like) live only in .venv-bench.
	@if [ ! -f .venv-bench/.installed ] || [ uv.lock -nt .venv-bench/.installed ] \
		|| [ benchmarks/requirements.txt -nt .venv-bench/.installed ]; then \
		set -e; echo "==> Creating .venv-bench: the lock (openai left free: the peers need 2.x) plus the peers"; \
		$(UV) venv --quiet --clear .venv-bench --python "$(PYTHON)"; \
		$(UV) export --quiet --locked --all-extras --no-emit-project --no-hashes \
			| grep -v '^openai==' > .venv-bench/constraints.txt; \
		VIRTUAL_ENV=.venv-bench $(UV) pip install --quiet -e ".[all]" -r benchmarks/requirements.txt \
			-c .venv-bench/constraints.txt; \
		touch .venv-bench/.installed; \
	fi
	.venv-bench/bin/python benchmarks/run.py $(BENCH_ARGS)

# Re-record every cassette against the live gateway (needs SKILLBOSS_WHOLESALE_KEY): the
# examples first (demo/run.py records around each unchanged example, see demo/replay.py),
# then the replay suites and the README snippets; the replay run of
# tests/replay/test_examples.py then checks the freshly recorded example cassettes.
RECORDED_TESTS := tests/replay

record: ## re-record every cassette against the live gateway (needs SKILLBOSS_WHOLESALE_KEY)
	@test -n "$$SKILLBOSS_WHOLESALE_KEY" || { echo "make record needs SKILLBOSS_WHOLESALE_KEY (a SkillBoss wholesale key); make record-local needs none"; exit 2; }
	@$(MAKE) --no-print-directory venv
	SKILLBOSS_RECORD=live $(BIN)/python -m demo.run
	SKILLBOSS_RECORD=live $(BIN)/python -m pytest -q $(RECORDED_TESTS)

record-local: venv ## re-record against the scripted gateway on 127.0.0.1 (no key, no network)
	SKILLBOSS_RECORD=local $(BIN)/python -m demo.run
	SKILLBOSS_RECORD=local $(BIN)/python -m pytest -q $(RECORDED_TESTS)

# The model catalog's source: LiteLLM's model table, from the pinned wheel (never installed).
LITELLM_VERSION := 1.110.2

catalog: venv ## regenerate skillboss_core/catalog/catalog_data.json from LiteLLM's table (LITELLM_VERSION)
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "==> Downloading litellm==$(LITELLM_VERSION) (no dependencies) for its model table"; \
	$(TOOLS)/bin/python -m pip download --quiet --no-deps --only-binary=:all: \
		"litellm==$(LITELLM_VERSION)" -d "$$tmp"; \
	$(BIN)/python -c "import glob, sys, zipfile; \
		wheel = zipfile.ZipFile(glob.glob(sys.argv[1] + '/litellm-*.whl')[0]); \
		open(sys.argv[1] + '/table.json', 'wb').write(wheel.read(sys.argv[2]))" \
		"$$tmp" litellm/model_prices_and_context_window_backup.json; \
	$(BIN)/python scripts/build_catalog.py "$$tmp/table.json" --version $(LITELLM_VERSION)

# Branch coverage of the three packages ([tool.coverage] in pyproject.toml): the files not
# wholly covered with their missing lines and branches, then a total per package.
# COVERAGE_TESTS narrows the run: make coverage COVERAGE_TESTS=tests/unit/test_core_stream.py
COVERAGE_TESTS ?= tests
COVERAGE_PACKAGES := skillboss_core langchain_skillboss llama_index_skillboss

coverage: venv ## the suite under branch coverage: missing lines, total per package
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest -q $(COVERAGE_TESTS)
	$(BIN)/coverage report
	@echo "Total per package (statements and branches):"
	@for package in $(COVERAGE_PACKAGES); do \
		printf '  %-24s %s%%\n' "$$package" \
			"$$($(BIN)/coverage report --include="$$package/*" --format=total)"; \
	done

# mutmut ([tool.mutmut] in pyproject.toml) on skillboss_core's stream reader, decoder,
# parameters, errors and status mapping, against the core's unit tests, from scratch each time (mutants/ is mutmut's copy),
# one test process at a time; mypy --strict (on PATH for mutmut) first rules out the mutants
# that do not type-check. About 7 minutes. Then the score, and every mutant neither caught
# nor explained by a `# mutation:` comment (scripts/mutation_score.py).
mutation: venv ## mutmut on the core's stream, decode, params, errors, failures: score, survivors
	rm -rf mutants
	@mkdir -p mutants
	@echo "==> mutmut run (log in mutants/mutmut-run.log)"
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/mutmut run --max-children 1 > mutants/mutmut-run.log 2>&1 \
		|| { tail -c 3000 mutants/mutmut-run.log; exit 1; }
	@$(BIN)/python scripts/mutation_score.py

clean: ## remove every venv and cache
	rm -rf $(VENV) .venv-* .mypy_cache .ruff_cache .coverage htmlcov mutants
