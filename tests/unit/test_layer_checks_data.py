"""The author checks run on the real training data (issue 22, item 5): an embedding of
``vocab_size = 2`` fails on a random N(0, 1) batch (indices -2..3) although every row of the
data is 0 or 1; the checks take training rows, say "random input" when they cannot, and
Keras' UserWarnings from the user's code become the run's warnings, not raw stderr."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ktui.cli import EXIT_OK, main
from ktui.core import spec as specmod
from ktui.core import user_layers
from ktui.core.datasets import DataError, NpzData
from ktui.core.spec import LayerSpec
from ktui.core.spec.for_data import train_defaults
from ktui.core.spec.presets import get_preset
from ktui.core.user_layers import verdicts
from ktui.core.user_layers.batch import batch_for
from ktui.core.user_layers.checks import (
    before_training,
    checks_for,
    refuse_on_failed_checks,
    run_checks,
    warnings_of,
)
from ktui.core.user_layers.shapes import key as shapes_key

FILE = textwrap.dedent('''
    import warnings

    import keras
    import tensorflow as tf
    from keras import ops


    class Lookup(keras.layers.Layer):
        """An embedding written by hand: one row of a table per index."""

        def __init__(self, vocab_size=2, dim=3, **kwargs):
            super().__init__(**kwargs)
            self.vocab_size = vocab_size
            self.dim = dim

        def build(self, input_shape):
            self.table = self.add_weight(shape=(self.vocab_size, self.dim),
                                         initializer="random_normal", name="table")

        def call(self, inputs):
            # A random N(0, 1) batch holds indices -2..1: TensorFlow refuses -2 and -1.
            return tf.nn.embedding_lookup(self.table, ops.cast(inputs, "int32"))

        def get_config(self):
            return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim}


    class Chatty(keras.layers.Layer):
        """Says something while it is built, as Keras does of odd layers."""

        def build(self, input_shape):
            warnings.warn("Chatty was built without weights", UserWarning, stacklevel=2)

        def call(self, inputs):
            return inputs
''')


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    user_layers.register([])
    refuse_on_failed_checks(True)
    verdicts.forget()
    yield
    user_layers.register([])
    refuse_on_failed_checks(True)
    verdicts.forget()


@pytest.fixture
def layers(tmp_path: Path) -> Path:
    path = tmp_path / "mine.py"
    path.write_text(FILE, encoding="utf-8")
    return path


def _binary_npz(path: Path) -> Path:
    """40 rows of 4 features, each 0 or 1; the class is the first feature."""
    x = np.random.default_rng(3).integers(0, 2, size=(40, 4)).astype(np.float32)
    np.savez(path, x=x, y=x[:, 0].astype(np.int64))
    return path


def _spec(tmp_path: Path, layers: Path, first: str = "Lookup") -> specmod.ExperimentSpec:
    user_layers.use_files([layers])
    spec = get_preset("linear-gd")
    spec.dataset = NpzData(path=str(_binary_npz(tmp_path / "bits.npz")))
    train_defaults(spec)
    spec.train.epochs = 1
    spec.train.early_stopping.enabled = False
    spec.layers = [LayerSpec(first, {}), LayerSpec("Flatten", {}),
                   LayerSpec("Dense", {"units": 2})]
    user_layers.resolve_shapes(spec)
    assert specmod.validate(spec) == []
    return spec


def test_the_checks_feed_training_rows_and_pass_where_random_input_fails(
        tmp_path: Path, layers: Path) -> None:
    spec = _spec(tmp_path, layers)
    kind = user_layers.user_kind("Lookup")
    assert kind is not None
    batch = batch_for(spec, 0, (4,))
    assert not batch.random and batch.source == "8 rows of the training data"
    rows = np.load(tmp_path / "bits.npz")["x"]  # the split draws rows: each is a data row
    assert all(any(np.array_equal(r, d) for d in rows) for r in batch.x)
    assert checks_for(spec, 0, kind, (4,), {}).failure is None
    assert before_training(spec, specmod.validate) is None
    # The same layer on N(0, 1) input: the lie the checks told before.
    random = run_checks(kind, (4,), {})
    assert random.failure is not None and "random input" in random.failure.text


def _unloadable(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise DataError("bits.npz: the disk says no")

    monkeypatch.setattr(NpzData, "load", refuse)


def test_without_loadable_data_the_checks_say_random_input(
        tmp_path: Path, layers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec(tmp_path, layers)
    _unloadable(monkeypatch)
    failure = before_training(spec, lambda s: [])
    assert failure is not None
    assert ("[on random input: the data could not be loaded: bits.npz: the disk says no]"
            in failure.message), failure.message
    assert "--no-checks" in failure.message


def test_a_layer_after_others_gets_the_rows_through_them(tmp_path: Path,
                                                         layers: Path) -> None:
    spec = _spec(tmp_path, layers)
    spec.layers.insert(0, LayerSpec("Dense", {"units": 4}))
    batch = batch_for(spec, 1, (4,))
    assert batch.source == "8 rows of the training data, through layer 1"
    assert not np.isin(batch.x, (0.0, 1.0)).all()  # a Dense's outputs, not the bits


def test_a_failed_check_is_a_problem_until_trained_anyway(
        tmp_path: Path, layers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec(tmp_path, layers)
    _unloadable(monkeypatch)  # random input: Lookup fails its build check
    assert before_training(spec, lambda s: []) is not None
    problems = specmod.validate(spec)  # what the setup view's status line says
    assert problems and "train anyway" in problems[0], problems
    kind = user_layers.user_kind("Lookup")
    assert kind is not None
    key = shapes_key(kind, (4,), kind.resolve({}))
    verdicts.accept(key)
    try:
        assert specmod.validate(spec) == []
        assert before_training(spec, lambda s: []) is None
        assert any("random input" in w for w in warnings_of(spec))
    finally:
        verdicts.accept(key, anyway=False)


def _run_cli(tmp_path: Path, layers: Path, spec: specmod.ExperimentSpec,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    path = tmp_path / "spec.toml"
    specmod.save(spec, path)
    user_layers.register([])  # the CLI imports the file itself
    runs = tmp_path / "runs"
    code = main(["train", "--layers", str(layers), "--spec", str(path), "--runs-dir",
                 str(runs)])
    return code, capsys.readouterr().err, runs


@pytest.mark.slow
def test_the_cli_trains_the_embedding_its_data_fits(tmp_path: Path, layers: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, err, _ = _run_cli(tmp_path, layers, _spec(tmp_path, layers), capsys)
    assert code == EXIT_OK, err


@pytest.mark.slow
def test_user_warnings_go_to_the_run_log_not_raw_to_stderr(
        tmp_path: Path, layers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path, layers, first="Chatty")
    spec.layers = [LayerSpec("Chatty", {}), LayerSpec("Dense", {"units": 2})]
    user_layers.resolve_shapes(spec)
    code, err, runs = _run_cli(tmp_path, layers, spec, capsys)
    assert code == EXIT_OK, err
    said = "UserWarning: Chatty was built without weights"
    assert "warnings.warn" not in err and f"ktui: warning: layer 1 (Chatty): {said}" in err
    log = next(runs.glob("*/events.jsonl")).read_text(encoding="utf-8").splitlines()
    started = json.loads(log[0])
    assert started["event"] == "run_started"
    assert started["warnings"] == [f"layer 1 (Chatty): {said}"], started.get("warnings")


PIXELS = textwrap.dedent('''
    import keras
    import tensorflow as tf


    class Pixels(keras.layers.Layer):
        """Takes pixels in [0, 1] and says so (its author's own assertion)."""

        def call(self, inputs):
            tf.debugging.assert_non_negative(inputs, message="pixels are in [0, 1]")
            return inputs
''')


@pytest.mark.slow
def test_the_cli_checks_read_the_data_from_data_dir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from idx_files import make_fashion

    monkeypatch.delenv("KTUI_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras-cache"))  # nowhere else
    make_fashion(tmp_path / "fm", n_train=60, n_test=10)
    path = tmp_path / "pixels.py"
    path.write_text(PIXELS, encoding="utf-8")
    user_layers.use_files([path])
    spec = get_preset("fashion-mlp")
    spec.dataset.standardize = False  # type: ignore[attr-defined]
    spec.dataset.samples = 0  # type: ignore[attr-defined]
    spec.train.epochs = 1
    spec.layers = [LayerSpec("Pixels", {}), *spec.layers]
    spec_file = tmp_path / "spec.toml"
    specmod.save(spec, spec_file)
    user_layers.register([])
    code = main(["train", "--layers", str(path), "--spec", str(spec_file), "--data-dir",
                 str(tmp_path / "fm"), "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    # --data-dir reaches the dataset (apply_data), so the checks read the same pixels.
    assert code == EXIT_OK, err  # not refused on random input: the pixels are in [0, 1]
    assert "random input" not in err
