"""What the model learned (issue 12, core): the validation sample, predictions, confusion
matrices counted in the compiled evaluation step, per-layer gradient norms, and their run
directory / CLI faces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ktui.core.events import (
    Confusion,
    EpochDone,
    Predictions,
    RunStarted,
    SampleSet,
    StepDone,
    from_dict,
    to_dict,
)
from ktui.core.insight import (
    MAX_POINTS,
    PER_CLASS,
    accuracy,
    class_stats,
    confusion_text,
    display_images,
    sample_indices,
)
from ktui.core.session import start_run
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset


def test_sample_has_every_class_and_is_fixed_by_the_seed() -> None:
    y = np.repeat(np.arange(10), 30)[np.random.default_rng(0).permutation(300)]
    first = sample_indices(y, 10, seed=1)
    assert np.array_equal(first, sample_indices(y, 10, seed=1))
    assert not np.array_equal(first, sample_indices(y, 10, seed=2))
    counts = np.bincount(y[first], minlength=10)
    assert counts.tolist() == [PER_CLASS] * 10
    assert list(first) == sorted(first)
    points = sample_indices(np.zeros((1000, 1)), 0, seed=1)
    assert len(points) == MAX_POINTS and len(set(points.tolist())) == MAX_POINTS
    assert len(sample_indices(np.zeros(0), 10, seed=1)) == 0


def test_display_images_stretch_each_image_to_0_255() -> None:
    images = np.stack([np.linspace(-1.5, 2.0, 16).reshape(4, 4), np.full((4, 4), 3.0)])
    shown = display_images(images)
    assert shown.dtype == np.uint8
    assert (shown[0].min(), shown[0].max()) == (0, 255)
    assert shown[1].max() == 0  # a flat image stays flat


def test_class_stats_accuracy_and_text() -> None:
    m = np.array([[5, 1, 0], [2, 3, 0], [0, 0, 0]])
    stats = class_stats(m, ("a", "b", "c"))
    assert (stats[0].recall, stats[0].precision) == pytest.approx((5 / 6, 5 / 7))
    assert (stats[1].recall, stats[1].precision) == pytest.approx((3 / 5, 3 / 4))
    assert stats[2].recall is None and stats[2].precision is None  # no example, no prediction
    assert accuracy(m) == pytest.approx(8 / 11)
    text = confusion_text(m, ("a", "b", "c"), "test set")
    assert "accuracy 0.7273 of 11" in text
    assert any(line.split() == ["c", "0", "-", "-"] for line in text.splitlines())


@pytest.fixture(scope="module")
def fashion_run(tmp_path_factory):
    from idx_files import make_fashion

    root = tmp_path_factory.mktemp("insight")
    make_fashion(root / "data", n_train=200, n_test=60, seed=5)
    spec = get_preset("fashion-mlp")
    spec.dataset.samples = 0
    spec.dataset.data_dir = str(root / "data")
    spec.layers = [LayerSpec("Flatten"), LayerSpec("Dense", {"units": 8, "activation": "relu"}),
                   LayerSpec("Dense", {"units": 10})]
    spec.train.epochs, spec.train.batch_size, spec.train.log_every = 2, 32, 1
    events: list = []
    handle = start_run(spec, [events.append], runs_root=root / "runs")
    handle.join(120)
    return spec, events, handle.run_dir


@pytest.mark.slow
def test_confusion_equals_numpy_over_the_saved_model(fashion_run) -> None:
    import keras

    from ktui.core.datasets import load_splits

    spec, events, run = fashion_run
    test = [e for e in events if isinstance(e, Confusion) and e.split == "test"]
    val = [e for e in events if isinstance(e, Confusion) and e.split == "validation"]
    assert len(test) == 1 and [e.epoch for e in val] == [1, 2]
    assert test[0].class_names[0] == "T-shirt/top"
    splits = load_splits(spec)
    model = keras.saving.load_model(run.model_file)
    for confusion, x, y in ((test[0], splits.x_test, splits.y_test),
                            (val[-1], splits.x_val, splits.y_val)):
        predicted = np.argmax(model.predict(x, verbose=0), axis=1)
        expected = np.zeros((10, 10), int)
        np.add.at(expected, (y, predicted), 1)
        assert np.array_equal(np.asarray(confusion.matrix), expected)
    summary = json.loads(run.summary_file.read_text())
    assert summary["confusion"]["test"]["matrix"] == [list(r) for r in test[0].matrix]
    lines = run.confusion_file.read_text().splitlines()
    assert lines[0].startswith("true \\ predicted,T-shirt/top,Trouser")
    assert [int(v) for v in lines[1].split(",")[1:]] == list(test[0].matrix[0])


@pytest.mark.slow
def test_sample_and_predictions_of_a_classifier(fashion_run) -> None:
    _, events, run = fashion_run
    sample = next(e for e in events if isinstance(e, SampleSet))
    assert sample.image_shape == (28, 28) and len(sample.images[0]) == 784
    assert len(sample.indices) == len(sample.targets) == len(sample.images) > 10
    predictions = [e for e in events if isinstance(e, Predictions)]
    assert [p.epoch for p in predictions] == [1, 2]
    for p in predictions:
        assert len(p.predicted) == len(p.confidence) == len(sample.indices)
        assert all(0 <= c <= 9 and c == int(c) for c in p.predicted)
        assert all(0.1 <= c <= 1.0 for c in p.confidence)  # the top of 10 probabilities
    assert from_dict(to_dict(sample)) == sample  # the codec keeps it whole
    logged = [from_dict(json.loads(line)) for line in run.events_file.read_text().splitlines()]
    assert [e for e in logged if isinstance(e, (SampleSet, Predictions, Confusion))] == [
        e for e in events if isinstance(e, (SampleSet, Predictions, Confusion))]


@pytest.mark.slow
def test_gradient_norms_name_every_trainable_layer(fashion_run) -> None:
    _, events, _ = fashion_run
    steps = [e for e in events if isinstance(e, StepDone)]
    assert steps and all(set(s.grad_norms) == {"dense_2", "dense_3"} for s in steps)
    assert all(v > 0 for s in steps for v in s.grad_norms.values())


@pytest.mark.slow
def test_gradient_norm_of_the_first_full_batch_step_is_the_analytic_one() -> None:
    spec = get_preset("linear-gd")  # W=5, b=0, MSE, full batch
    spec.train.epochs, spec.train.log_every = 1, 1
    events: list = []
    start_run(spec, [events.append], record=False).join(60)
    from ktui.core.datasets import load_splits

    splits = load_splits(spec)
    x, y = splits.x_train[:, 0].astype(np.float64), splits.y_train[:, 0].astype(np.float64)
    error = 5.0 * x + 0.0 - y
    gw, gb = np.mean(2 * error * x), np.mean(2 * error)
    step = next(e for e in events if isinstance(e, StepDone))
    assert step.grad_norms["dense_1"] == pytest.approx(np.hypot(gw, gb), rel=1e-4)
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.wb_model
    # the regression sample: rows and targets; predictions are W·x + b of the epoch's weights
    sample = next(e for e in events if isinstance(e, SampleSet))
    assert len(sample.features) == len(sample.targets) == MAX_POINTS
    done = next(e for e in events if isinstance(e, EpochDone))
    w, b = done.weights[0].kernel.values[0], done.weights[0].bias.values[0]
    predicted = next(e for e in events if isinstance(e, Predictions)).predicted
    assert predicted == pytest.approx([w * r[0] + b for r in sample.features], abs=1e-4)
    assert not any(isinstance(e, Confusion) for e in events)


@pytest.mark.slow
def test_runs_show_confusion(fashion_run, capsys, tmp_path) -> None:
    from ktui.cli import EXIT_OK, EXIT_USAGE, main

    _, _, run = fashion_run
    assert main(["runs", "show", str(run.path), "--confusion"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("test set, epoch 2") and "validation set, epoch 2" in out
    assert "Ankle boot" in out and "recall" in out and "accuracy " in out
    spec = get_preset("linear-gd")
    spec.train.epochs = 1
    other = start_run(spec, [], runs_root=tmp_path)
    other.join(60)
    assert main(["runs", "show", str(other.run_dir.path), "--confusion"]) == EXIT_USAGE
    assert "has no confusion matrix" in capsys.readouterr().err
