"""Shared test setup: quiet TensorFlow, fixed seeds, and the real-data marker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

FASHION_DIRS = [Path("/usr/share/datasets/fashion-mnist"),
                Path.home() / ".keras" / "datasets" / "fashion-mnist"]


def fashion_available() -> bool:
    return any((d / "train-images-idx3-ubyte.gz").exists() for d in FASHION_DIRS)


@pytest.fixture
def needs_fashion() -> None:
    if not fashion_available():
        pytest.skip("Fashion-MNIST not installed (sudo apt-get install dataset-fashion-mnist)")


@pytest.fixture(autouse=True)
def runs_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runs recorded by tests (CLI subprocesses included) go to a temporary folder."""
    path = tmp_path_factory.mktemp("runs")
    monkeypatch.setenv("KTUI_RUNS_DIR", str(path))
    return path
