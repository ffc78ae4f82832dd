"""``jit_compile = "auto"`` in a run: the pick is made on the run's own steps, said in the
event stream, kept in ``summary.json``, followed by the exported script, and a run that
changes compiler half-way still trains exactly as Keras' ``fit`` does.

The bar (``TRY_MIN_S``: XLA is tried on runs of two minutes and more) and the margin are
set here, so a run of seconds goes through each branch; the picker's own arithmetic is
``test_xla_pick.py``'s."""

from __future__ import annotations

import csv
import json
import textwrap

import numpy as np
import pytest

from ktui.cli import EXIT_OK, main
from ktui.core import spec as specmod
from ktui.core.datasets import load_splits
from ktui.core.spec.presets import get_preset
from ktui.core.training import xla_pick

BATCH = 48  # 1 000 training samples: 21 steps an epoch, the last one short
EPOCHS = 4


def _run(tmp_path, capsys, setting: str = "auto"):
    spec = get_preset("linear-gd")  # Dense(1) from W=5, b=0; SGD 0.1; mse; mae; in order
    spec.train.epochs = EPOCHS
    spec.train.batch_size = BATCH
    spec.train.jit_compile = setting
    spec_file = tmp_path / "spec.toml"
    specmod.save(spec, spec_file)
    runs = tmp_path / "runs"
    code = main(["train", "--spec", str(spec_file), "--runs-dir", str(runs), "--jsonl"])
    out = capsys.readouterr()
    assert code == EXIT_OK, out.err
    events = [json.loads(line) for line in out.out.splitlines()]
    (run,) = runs.iterdir()
    return run, events


def _picks(events):
    return [e for e in events if e["event"] == "xla_picked"]


def _exported_jit(tmp_path, capsys, run) -> bool:
    script = tmp_path / "script.py"
    assert main(["export", str(run), "--python", str(script), "--runs-dir",
                 str(run.parent)]) == EXIT_OK, capsys.readouterr().err
    return "jit_compile=True" in script.read_text(encoding="utf-8")


def _keras_history(run):
    import keras

    splits = load_splits(specmod.load(run / "spec.toml"))
    model = keras.Sequential([
        keras.Input((1,)),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(5.0),
                           bias_initializer=keras.initializers.Constant(0.0))])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model.fit(splits.x_train, splits.y_train, batch_size=BATCH, epochs=EPOCHS,
                     shuffle=False, validation_data=(splits.x_val, splits.y_val),
                     verbose=0).history


@pytest.fixture
def try_xla(monkeypatch):
    """Every run is long enough to try XLA, and the comparison is short."""
    for name in ("TRY_MIN_S", "ESTIMATE_S", "COMPARE_S"):
        monkeypatch.setattr(xla_pick, name, 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("keep", [True, False])
def test_auto_compiles_xla_mid_run_keeps_the_pick_and_trains_as_keras_fit(
        tmp_path, capsys, monkeypatch, try_xla, keep: bool) -> None:
    # keep: XLA counts as faster whatever the timings; else as slower whatever they are.
    monkeypatch.setattr(xla_pick, "MARGIN", -1e9 if keep else 1e9)
    run, events = _run(tmp_path, capsys)
    assert events[0]["event"] == "run_started" and events[0]["xla"] == "auto"
    (picked,) = _picks(events)
    assert picked["xla"] is keep
    assert picked["compile_s"] >= 0 and picked["plain_ms"] > 0 and picked["xla_ms"] > 0
    assert (picked["epoch"], picked["step"]) < (EPOCHS, 21)  # made in the run, not after
    summary = json.loads((run / "summary.json").read_text())
    assert summary["xla"]["on"] is keep
    assert summary["xla"]["reason"].startswith("jit_compile = auto: ")
    assert _exported_jit(tmp_path, capsys, run) is keep
    # Both compilers ran steps of the same run: the numbers are still Keras' fit's.
    with (run / "metrics.csv").open() as f:
        rows = [{k: float(v) for k, v in row.items() if v} for row in csv.DictReader(f)]
    history = _keras_history(run)
    for name in ("loss", "mae", "val_loss", "val_mae"):
        np.testing.assert_allclose([row[name] for row in rows], history[name], rtol=1e-4,
                                   err_msg=name)


def test_a_short_run_says_xla_was_not_tried_and_exports_without_it(tmp_path, capsys
                                                                   ) -> None:
    run, events = _run(tmp_path, capsys)
    (picked,) = _picks(events)
    assert not picked["xla"] and picked["reason"].startswith("not tried")
    assert picked["compile_s"] is None and picked["xla_ms"] is None
    assert json.loads((run / "summary.json").read_text())["xla"]["on"] is False
    assert not _exported_jit(tmp_path, capsys, run)


@pytest.mark.parametrize("setting", ["on", "off"])
def test_on_and_off_are_said_at_the_start_and_never_picked(tmp_path, capsys, try_xla,
                                                           setting: str) -> None:
    run, events = _run(tmp_path, capsys, setting)
    assert events[0]["xla"] == setting and not _picks(events)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["xla"] == {"on": setting == "on", "reason": f"jit_compile = {setting}"}
    assert _exported_jit(tmp_path, capsys, run) is (setting == "on")
    assert main(["runs", "show", str(run), "--runs-dir", str(run.parent)]) == EXIT_OK
    assert f"xla      {setting} (jit_compile = {setting})" in capsys.readouterr().out


def test_steps_switch_compiler_between_calls_and_train_on_as_before() -> None:
    """:meth:`Steps.set_xla` between calls: the XLA step is traced then (by one step and by
    a call of several), the weights go on from where the plain steps left them (to the
    last bits: equal to a run of plain steps only), and the unused step is dropped."""
    import keras
    import tensorflow as tf

    from ktui.core.losses import batch_mean
    from ktui.core.training.steps import Steps

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)

    def make() -> Steps:
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        optimizer = keras.optimizers.Adam(0.05)
        optimizer.build(model.trainable_variables)
        return Steps(model, optimizer, batch_mean(keras.losses.MeanSquaredError(
            reduction=None)), ["mae"], (3,), y, jit_compile=False)

    def batches():
        return iter(tf.data.Dataset.from_tensor_slices((x, y)).batch(16).repeat())

    switched, plain = make(), make()
    for steps in (switched, plain):
        data = batches()
        for call in range(6):
            if steps is switched and call == 3:
                steps.set_xla(True)
            steps.train(*next(data))
            steps.train_many(data, 2)
    xla_train = switched.train_function  # the XLA step, now in use
    assert xla_train.experimental_get_tracing_count() == 1  # the step and the loop's call
    assert plain._compiled.keys() == {False}  # never asked for: never made
    for a, b in zip(switched.model.get_weights(), plain.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    switched.forget_other()
    assert switched._compiled.keys() == {True} and set(switched._many) == {True}
    switched.evaluate(x, y)  # evaluation follows the pick
    assert switched._compiled[True][1].experimental_get_tracing_count() == 1


#: A layer XLA cannot compile: ``tf.numpy_function`` runs Python, which XLA has no kernel for.
NUMPY_LAYER = textwrap.dedent('''
    import keras
    import numpy as np
    import tensorflow as tf


    class NumpyHalf(keras.layers.Layer):
        def call(self, inputs):
            out = tf.numpy_function(lambda a: (a / 2).astype(np.float32), [inputs], tf.float32)
            out.set_shape(inputs.shape)
            return out
''')


@pytest.mark.slow
def test_a_model_xla_cannot_compile_trains_on_without_it_losing_no_batch(
        tmp_path, capsys, try_xla) -> None:
    """The first XLA step fails (before anything is applied); the plain step trains that same
    batch and the rest of the run: the epochs equal an ``off`` run's, batch for batch. With
    ``on`` (asked for) the run fails, saying what XLA lacks and what to set instead."""
    from ktui.core import user_layers
    from ktui.core.spec import LayerSpec

    layers = tmp_path / "numpy_half.py"
    layers.write_text(NUMPY_LAYER, encoding="utf-8")
    rows = {}
    for setting in ("auto", "off", "on"):
        spec = get_preset("linear-gd")
        spec.train.epochs, spec.train.batch_size = EPOCHS, BATCH
        spec.train.jit_compile = setting
        spec.layers = [LayerSpec("NumpyHalf", {}), *spec.layers]
        user_layers.use_files([layers])
        spec_file = tmp_path / f"{setting}.toml"
        specmod.save(spec, spec_file)
        user_layers.register([])
        runs = tmp_path / setting
        code = main(["train", "--spec", str(spec_file), "--layers", str(layers),
                     "--runs-dir", str(runs), "--jsonl"])
        out = capsys.readouterr()
        user_layers.register([])
        events = [json.loads(line) for line in out.out.splitlines()]
        if setting == "on":  # asked for: a failure saying what XLA lacks and what to set
            assert code != EXIT_OK and events[-1]["kind"] == "spec"
            assert events[-1]["message"] == (
                'train.jit_compile = on: XLA cannot compile this model (PyFunc has no '
                'XLA_CPU_JIT kernel); set it to "auto" (XLA only where it compiles and pays) '
                'or "off"')
            continue
        assert code == EXIT_OK, out.err
        if setting == "auto":
            (picked,) = _picks(events)
            assert not picked["xla"] and picked["tried"]
            assert picked["reason"] == ("XLA cannot compile this model: PyFunc has no "
                                        "XLA_CPU_JIT kernel")
            assert "XLA cannot compile" in json.loads(
                (next(runs.iterdir()) / "summary.json").read_text())["xla"]["reason"]
        with (next(runs.iterdir()) / "metrics.csv").open() as f:
            rows[setting] = [{k: float(v) for k, v in row.items() if v and k != "seconds"}
                             for row in csv.DictReader(f)]
    assert len(rows["auto"]) == EPOCHS
    for a, b in zip(rows["auto"], rows["off"], strict=True):
        for name in ("loss", "val_loss", "mae", "val_mae"):
            assert a[name] == pytest.approx(b[name], rel=1e-6), name
