# The README names two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
FMNIST_SYSTEM := /usr/share/datasets/fashion-mnist

.PHONY: run test install data lint bench bench-quick snapshots clean

run: $(STAMP)  ## set up .venv and launch the TUI
	$(BIN)/ktui $(ARGS)

test: $(STAMP) data  ## set up .venv, fetch Fashion-MNIST if possible, run the whole suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

install: $(STAMP)

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
