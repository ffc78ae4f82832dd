"""Losses that layers add (``add_loss``) are part of the reported loss, as Keras' ``fit`` and
``evaluate`` report them (issue 22, item 6; issue 25: a defect the suite missed).

keras-io's subclassing guide: ``ActivityRegularizationLayer(rate)`` adds ``rate * mean(x)``.
With it, ktui's gradient already included the added loss while the printed loss was the
data's alone (it rose every epoch while the sum fell). The oracle here is Keras itself: the
run's saved model, evaluated by ``keras.Model.evaluate`` on the same validation split.
"""

from __future__ import annotations

import csv
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ktui.cli import EXIT_OK, main
from ktui.core import spec as specmod
from ktui.core import user_layers
from ktui.core.datasets import load_splits
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset

#: The guide's layer (Keras 3 version), with ``**kwargs`` so that model.keras loads back.
LAYER = textwrap.dedent('''
    import keras
    from keras import ops


    class ActivityRegularizationLayer(keras.layers.Layer):
        def __init__(self, rate=1e-2, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs

        def get_config(self):
            return {**super().get_config(), "rate": self.rate}
''')


@pytest.fixture(autouse=True)
def no_user_layers() -> Iterator[None]:
    user_layers.register([])
    yield
    user_layers.register([])


@pytest.mark.slow
def test_the_reported_loss_is_what_keras_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras

    layers = tmp_path / "activity.py"
    layers.write_text(LAYER, encoding="utf-8")
    spec = get_preset("linear-gd")
    spec.train.epochs = 4
    spec.layers = [*spec.layers, LayerSpec("ActivityRegularizationLayer", {"rate": 10.0})]
    user_layers.use_files([layers])
    spec_file = tmp_path / "spec.toml"
    specmod.save(spec, spec_file)
    user_layers.register([])
    runs = tmp_path / "runs"
    code = main(["train", "--spec", str(spec_file), "--layers", str(layers),
                 "--runs-dir", str(runs)])
    out = capsys.readouterr()
    assert code == EXIT_OK, out.err
    (run,) = runs.iterdir()
    with (run / "metrics.csv").open() as f:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    for row in rows:  # the two parts, each its own column, add up to what is reported
        assert row["loss"] == pytest.approx(row["data_loss"] + row["reg_loss"], rel=1e-5)
    assert rows[-1]["reg_loss"] < 0  # rate 10 pulls the outputs (and the bias) down
    assert rows[-1]["loss"] < rows[0]["loss"]  # what is minimised goes down

    # Keras' own account of the last epoch's validation loss, from the saved model.
    user_layers.use_files([layers])
    import ktui.core.layers  # noqa: F401 - ktui's Dense, registered on import

    model = keras.saving.load_model(run / "model.keras")
    model.compile(loss="mse")
    splits = load_splits(specmod.load(run / "spec.toml"))
    keras_val = model.evaluate(splits.x_val, splits.y_val, batch_size=len(splits.x_val),
                               verbose=0)
    assert rows[-1]["val_loss"] == pytest.approx(float(np.asarray(keras_val).ravel()[0]),
                                                 rel=1e-5)
