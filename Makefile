# The README names two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FMNIST_SYSTEM := /usr/share/datasets/fashion-mnist

.PHONY: run test test-fast mutation install data lint bench bench-quick snapshots docs docs-serve clean

run: $(STAMP)  ## set up .venv and launch the TUI
	$(BIN)/ktui $(ARGS)

test: $(STAMP) data  ## set up .venv, fetch Fashion-MNIST if possible, run the whole suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile --durations=15

test-fast: $(STAMP)  ## the quick loop while editing: everything but the tests marked slow
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile -m "not slow" \
	  --durations=5 $(ARGS)

install: $(STAMP)

docs: $(STAMP)  ## the documentation site into site/ (--strict: a broken link fails)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -q

docs-serve: $(STAMP)  ## read the documentation live at http://127.0.0.1:8000
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "ktui needs Python >= 3.11 (PYTHON=$(PYTHON))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# Fashion-MNIST for the integration tests: the Debian package ships the four original files.
# Installed only when missing and when we can (root with apt-get); otherwise those tests skip
# with a message saying how to get the data.
data:
	@if [ -f $(FMNIST_SYSTEM)/train-images-idx3-ubyte.gz ] || \
	    [ -f $$HOME/.keras/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then \
	  echo "Fashion-MNIST: present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Fashion-MNIST: installing the Debian package dataset-fashion-mnist"; \
	  (apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null)) || \
	  echo "Fashion-MNIST: could not install; integration tests will be skipped"; \
	else \
	  echo "Fashion-MNIST: missing (sudo apt-get install dataset-fashion-mnist); integration tests will skip"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .

snapshots: $(STAMP)  ## re-record the TUI snapshot SVGs after an intended change
	$(BIN)/python -m pytest tests/tui --snapshot-update -q

bench: $(STAMP) data
	$(BIN)/python -m benchmarks --full

bench-quick: $(STAMP) data
	$(BIN)/python -m benchmarks --quick

# Mutation score of the core's pure modules (mutmut, installed here, not a project dependency;
# outside CI; the whole scope is 2 396 mutants: 9 minutes on the quiet 2-core box).
# Narrow it while iterating (tests/MUTATION.md has the scores and the equivalent mutants), e.g.
#   make mutation MUTATE=src/ktui/core/text.py MUTATION_TESTS=tests/unit/test_pure_core.py
MUTATION_DIR ?= /tmp/ktui-mutation
MUTATE ?= src/ktui/core/losses.py src/ktui/core/metrics.py \
  src/ktui/core/training/schedules.py src/ktui/core/training/stopping.py \
  src/ktui/core/events/codec.py src/ktui/core/history.py src/ktui/core/spec/validate.py \
  src/ktui/core/datasets/csv_read.py \
  src/ktui/core/datasets/csv_header.py src/ktui/core/text.py src/ktui/core/export/literals.py
MUTATION_TESTS ?= tests/unit/test_oracles.py tests/unit/test_layers.py \
  tests/unit/test_steering.py tests/unit/test_history.py tests/unit/test_insight_history.py \
  tests/unit/test_follow.py tests/unit/test_spec.py tests/unit/test_defaults.py \
  tests/unit/test_own_data.py tests/unit/test_data.py tests/unit/test_own_bad_files.py \
  tests/unit/test_export.py tests/unit/test_pure_core.py tests/unit/test_validate_rules.py \
  tests/unit/test_csv_reader_edges.py tests/unit/test_schedule_edges.py \
  tests/unit/test_metric_state.py tests/unit/test_bad_inputs.py tests/unit/test_own_regression.py \
  tests/unit/test_reporters.py

mutation: $(STAMP)
	$(BIN)/python -m pip install -q 'mutmut>=3.8,<4'
	$(BIN)/python tests/mutation.py $(MUTATION_DIR) $(MUTATE) -- $(MUTATION_TESTS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site
