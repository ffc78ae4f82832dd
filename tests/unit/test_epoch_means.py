"""An epoch's loss is a mean over examples, as Keras' fit and evaluate report it.

Found by ``test_passes``' first draft: with a short last batch, ktui averaged the batches'
mean losses (a batch of 8 counted as much as one of 48), so the same model's validation
loss depended on the batch size (0.978 for batches of 48 where Keras' evaluate says
1.078). Checked here against Keras itself: ``fit`` from the same start on the same batches,
and ``evaluate`` of the saved model.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from ktui.cli import EXIT_OK, main
from ktui.core import spec as specmod
from ktui.core.datasets import load_splits
from ktui.core.spec.presets import get_preset

BATCH = 48  # 1 000 training and 200 validation samples: short last batches of 40 and 8


def _train(tmp_path, capsys, epochs: int):
    spec = get_preset("linear-gd")  # Dense(1) from W=5, b=0; SGD 0.1; mse; mae; in order
    spec.train.epochs = epochs
    spec.train.batch_size = BATCH
    spec_file = tmp_path / "spec.toml"
    specmod.save(spec, spec_file)
    runs = tmp_path / "runs"
    code = main(["train", "--spec", str(spec_file), "--runs-dir", str(runs)])
    assert code == EXIT_OK, capsys.readouterr().err
    (run,) = runs.iterdir()
    with (run / "metrics.csv").open() as f:
        rows = [{k: float(v) for k, v in row.items() if v} for row in csv.DictReader(f)]
    splits = load_splits(specmod.load(run / "spec.toml"))
    assert len(splits.x_train) % BATCH and len(splits.x_val) % BATCH  # short last batches
    assert not spec.train.shuffle
    return run, rows, splits


def test_epoch_losses_match_keras_fit_on_the_same_batches(tmp_path, capsys) -> None:
    import keras

    _, rows, splits = _train(tmp_path, capsys, epochs=3)
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(5.0),
                           bias_initializer=keras.initializers.Constant(0.0))])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    history = model.fit(splits.x_train, splits.y_train, batch_size=BATCH, epochs=3,
                        shuffle=False, validation_data=(splits.x_val, splits.y_val),
                        verbose=0).history
    for name in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose([row[name] for row in rows], history[name], rtol=2e-5,
                                   err_msg=name)


def test_validation_loss_is_keras_evaluate_of_the_saved_model(tmp_path, capsys) -> None:
    import keras

    import ktui.core.layers  # noqa: F401 - ktui's Dense, registered on import

    run, rows, splits = _train(tmp_path, capsys, epochs=2)
    model = keras.saving.load_model(run / "model.keras")
    model.compile(loss="mse", metrics=["mae"])
    for batch_size in (BATCH, len(splits.x_val)):  # Keras' answer does not depend on it
        loss, mae = model.evaluate(splits.x_val, splits.y_val, batch_size=batch_size,
                                   verbose=0)
        assert rows[-1]["val_loss"] == pytest.approx(loss, rel=1e-5)
        assert rows[-1]["val_mae"] == pytest.approx(mae, rel=1e-5)
