"""Independent oracles (issue 25, item 1): ktui's losses and metrics against ``keras.losses`` /
``keras.metrics`` and plain numpy, and tutorial 000's W and b against a numpy gradient descent.

Elsewhere these are compared with themselves (the registry with the exported script, a loss with
its own batch mean); here each value comes from code ktui did not write, on random inputs and on
the edges users reach: all zeros, large values, one sample, every label in one class.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ktui.core import losses
from ktui.core.choices import LOSSES, METRICS
from ktui.core.events import EpochDone, RunFinished
from ktui.core.metrics import SparseCategoricalAccuracy, build_metric
from ktui.core.spec.presets import get_preset
from ktui.core.training.loop import train

CLASSES = 4


def _np(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x), dtype=np.float64)


# ---- inputs: random and the edges ------------------------------------------------------------

def _class_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(integer labels, logits) pairs."""
    rng = np.random.default_rng(25)
    n = 64
    return {
        "random": (rng.integers(0, CLASSES, n).astype("int32"),
                   rng.normal(0, 2, (n, CLASSES)).astype("float32")),
        "zeros": (np.zeros(n, "int32"), np.zeros((n, CLASSES), "float32")),
        "large": (rng.integers(0, CLASSES, n).astype("int32"),
                  rng.normal(0, 1e3, (n, CLASSES)).astype("float32")),
        "one-sample": (np.array([2], "int32"), rng.normal(0, 1, (1, CLASSES)).astype("float32")),
        # 60 of one class, one of each other: a model that always says class 0 looks good.
        "imbalanced": (np.array([0] * 61 + [1, 2, 3], "int32"),
                       rng.normal(0, 1, (64, CLASSES)).astype("float32")
                       + np.array([3.0, 0, 0, 0], "float32")),
        "confident-right": (np.arange(8, dtype="int32") % CLASSES,
                            20.0 * np.eye(CLASSES, dtype="float32")[np.arange(8) % CLASSES]),
        "confident-wrong": (np.arange(8, dtype="int32") % CLASSES,
                            20.0 * np.eye(CLASSES, dtype="float32")[(np.arange(8) + 1) % CLASSES]),
    }


def _regression_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(targets, predictions) pairs, (n, outputs)."""
    rng = np.random.default_rng(52)
    return {
        "random": (rng.normal(0, 2, (50, 1)).astype("float32"),
                   rng.normal(0, 2, (50, 1)).astype("float32")),
        "several-outputs": (rng.normal(0, 1, (20, 3)).astype("float32"),
                            rng.normal(0, 1, (20, 3)).astype("float32")),
        "zeros": (np.zeros((10, 1), "float32"), np.zeros((10, 1), "float32")),
        "large": (rng.normal(0, 1e4, (30, 1)).astype("float32"),
                  rng.normal(0, 1e4, (30, 1)).astype("float32")),
        "one-sample": (np.array([[1.5]], "float32"), np.array([[-0.25]], "float32")),
        # errors just inside, at and just beyond Huber's delta of 1, both signs
        "near-delta": (np.zeros((6, 1), "float32"),
                       np.array([[0.999], [-0.999], [1.0], [-1.0], [1.001], [-1.001]], "float32")),
    }


CLASS_CASES = _class_cases()
REGRESSION_CASES = _regression_cases()


# ---- losses ----------------------------------------------------------------------------------

def _keras_class_loss(name: str, labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    one_hot = keras.ops.one_hot(labels, logits.shape[-1])
    probs = keras.ops.softmax(logits, axis=-1)
    if name == "sparse_categorical_crossentropy":
        return _np(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
    if name == "kl_divergence":
        return _np(keras.losses.kl_divergence(one_hot, probs))
    assert name == "cosine_similarity"
    return _np(keras.losses.cosine_similarity(one_hot, probs))


def _keras_regression_loss(name: str, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    if name == "mse":
        return _np(keras.losses.mean_squared_error(y, p))
    if name == "mae":
        return _np(keras.losses.mean_absolute_error(y, p))
    assert name == "huber"
    return _np(keras.losses.huber(y, p, delta=1.0))


CLASS_LOSSES = [n for n in LOSSES if LOSSES[n].fits("classification")]
REGRESSION_LOSSES = [n for n in LOSSES if LOSSES[n].fits("regression")]


def test_every_registered_loss_has_an_oracle_here() -> None:
    assert set(CLASS_LOSSES) == {"sparse_categorical_crossentropy", "kl_divergence",
                                 "cosine_similarity"}
    assert set(REGRESSION_LOSSES) == {"mse", "mae", "huber"}


@pytest.mark.parametrize("case", list(CLASS_CASES))
@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_classification_loss_matches_keras(name: str, case: str) -> None:
    labels, logits = CLASS_CASES[case]
    ours = _np(LOSSES[name].load()(labels, logits))
    theirs = _keras_class_loss(name, labels, logits)
    assert ours.shape == theirs.shape == (len(labels),)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    batch = float(losses.batch_mean(LOSSES[name].load())(labels, logits))
    assert batch == pytest.approx(float(theirs.mean()), rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("case", list(REGRESSION_CASES))
@pytest.mark.parametrize("name", REGRESSION_LOSSES)
def test_regression_loss_matches_keras(name: str, case: str) -> None:
    y, p = REGRESSION_CASES[case]
    ours = _np(LOSSES[name].load()(y, p))
    theirs = _keras_regression_loss(name, y, p)
    assert ours.shape == theirs.shape == (len(y),)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_losses_match_their_formulas_in_numpy() -> None:
    """A second oracle for the numbers at the edges, written out by hand in float64."""
    y = np.array([[0.0], [0.0], [0.0], [0.0], [3.0]], "float32")
    p = np.array([[0.5], [-0.5], [2.0], [-2.0], [3.0]], "float32")
    err = (y - p).ravel().astype(np.float64)
    np.testing.assert_allclose(_np(losses.mse(y, p)), err ** 2, rtol=1e-6)
    np.testing.assert_allclose(_np(losses.mae(y, p)), np.abs(err), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.huber(y, p)), [0.125, 0.125, 1.5, 1.5, 0.0], rtol=1e-6)

    labels = np.array([0, 1], "int32")
    logits = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], "float32")
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(_np(losses.sparse_categorical_crossentropy(labels, logits)),
                               -np.log(probs[[0, 1], labels]), rtol=1e-6)
    # KL(one-hot || p), both clipped to [1e-7, 1] as Keras does
    target = np.clip(np.eye(3)[labels], 1e-7, 1)
    kl = (target * np.log(target / np.clip(probs, 1e-7, 1))).sum(-1)
    np.testing.assert_allclose(_np(losses.kl_divergence(labels, logits)), kl, rtol=1e-5)
    cos = -probs[[0, 1], labels] / np.linalg.norm(probs, axis=-1)
    np.testing.assert_allclose(_np(losses.cosine_similarity(labels, logits)), cos, rtol=1e-6)


@pytest.mark.parametrize("name", CLASS_LOSSES)
def test_classification_losses_take_float_labels_and_a_label_column(name: str) -> None:
    """Labels arrive as float32 from some datasets; (n, 1) columns from others."""
    labels, logits = CLASS_CASES["random"]
    fn = LOSSES[name].load()
    expected = _keras_class_loss(name, labels, logits)
    np.testing.assert_allclose(_np(fn(labels.astype("float32"), logits)), expected,
                               rtol=1e-5, atol=1e-6)


def test_a_perfect_prediction_costs_nothing_and_a_wrong_one_costs_more() -> None:
    labels, right = CLASS_CASES["confident-right"]
    _, wrong = CLASS_CASES["confident-wrong"]
    for name in CLASS_LOSSES:
        fn = LOSSES[name].load()
        assert float(np.max(_np(fn(labels, right)))) < float(np.min(_np(fn(labels, wrong))))
    assert np.allclose(_np(losses.sparse_categorical_crossentropy(labels, right)), 0, atol=1e-6)
    assert np.allclose(_np(losses.kl_divergence(labels, right)), 0, atol=1e-5)
    assert np.allclose(_np(losses.cosine_similarity(labels, right)), -1, atol=1e-6)


# ---- metrics ---------------------------------------------------------------------------------

def _feed(metric, batches) -> float:
    for y, p in batches:
        metric.update_state(y, p)
    return float(metric.result())


def _batches(case: str, size: int = 16):
    labels, logits = CLASS_CASES[case]
    return [(labels[i:i + size], logits[i:i + size]) for i in range(0, len(labels), size)]


@pytest.mark.parametrize("case", list(CLASS_CASES))
def test_accuracy_matches_keras_sparse_categorical_accuracy(case: str) -> None:
    ours, theirs = SparseCategoricalAccuracy(), keras.metrics.SparseCategoricalAccuracy()
    got, want = _feed(ours, _batches(case)), _feed(theirs, _batches(case))
    assert got == pytest.approx(want, abs=1e-7)
    labels, logits = CLASS_CASES[case]
    assert got == pytest.approx(float(np.mean(np.argmax(logits, -1) == labels)), abs=1e-7)
    assert isinstance(build_metric("accuracy"), SparseCategoricalAccuracy)


def test_accuracy_counts_across_batches_resets_and_takes_label_columns() -> None:
    metric = SparseCategoricalAccuracy()
    assert float(metric.result()) == 0.0  # nothing seen yet: 0, not NaN
    logits = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], "float32")
    metric.update_state(np.array([[0], [1], [1]], "int32"), logits)  # 2 of 3
    metric.update_state(np.array([1.0], "float32"), np.array([[0.0, 5.0]], "float32"))  # 1 of 1
    assert float(metric.result()) == pytest.approx(3 / 4)
    assert int(metric.total.numpy()) == 4 and int(metric.count.numpy()) == 3
    metric.reset_state()
    assert float(metric.result()) == 0.0
    metric.update_state(np.array([0], "int32"), np.array([[0.0, 1.0]], "float32"))
    assert float(metric.result()) == 0.0
    assert metric.name == "accuracy" and SparseCategoricalAccuracy(name="acc").name == "acc"


def _micro_inputs(case: str) -> tuple[np.ndarray, np.ndarray]:
    """What a micro average looks at: every (sample, class) pair as one binary prediction."""
    labels, logits = CLASS_CASES[case]
    one_hot = np.eye(CLASSES)[labels]
    e = np.exp(logits - logits.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    return one_hot.ravel(), probs.ravel()


def _exact_auc(truth: np.ndarray, score: np.ndarray) -> float:
    """The probability a positive scores above a negative (ties count half)."""
    pos, neg = score[truth == 1], score[truth == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


@pytest.mark.parametrize("case", list(CLASS_CASES))
@pytest.mark.parametrize("name", ["auc", "precision", "recall"])
def test_micro_averaged_metrics_match_keras_on_flattened_pairs(name: str, case: str) -> None:
    """ktui's AUC/precision/recall (the docstrings: one-hot labels against softmax,
    micro-averaged) equal the plain Keras binary metric on every (sample, class) pair."""
    keras_class = {"auc": keras.metrics.AUC, "precision": keras.metrics.Precision,
                   "recall": keras.metrics.Recall}[name]
    ours = build_metric(name)
    assert ours.name == name
    got = _feed(ours, _batches(case))
    truth, score = _micro_inputs(case)
    want = _feed(keras_class(), [(truth, score)])
    assert got == pytest.approx(want, abs=1e-5)
    # and against numpy, which knows nothing of Keras' thresholds
    predicted = score > 0.5
    if name == "precision":
        hits = predicted.sum()
        assert got == pytest.approx((predicted & (truth == 1)).sum() / hits if hits else 0.0,
                                    abs=1e-6)
    elif name == "recall":
        assert got == pytest.approx((predicted & (truth == 1)).sum() / truth.sum(), abs=1e-6)
    else:
        # Keras interpolates over 200 thresholds; the exact AUC is within a hair of it
        assert got == pytest.approx(_exact_auc(truth, score), abs=0.02)


def test_micro_metrics_reset() -> None:
    for name in ("auc", "precision", "recall"):
        metric = build_metric(name)
        _feed(metric, _batches("confident-wrong"))
        assert float(metric.result()) < 0.5
        metric.reset_state()
        assert _feed(metric, _batches("confident-right")) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", ["mae", "mse", "rmse"])
def test_regression_metrics_match_numpy(name: str) -> None:
    y, p = REGRESSION_CASES["random"]
    metric = build_metric(name)
    assert metric.name == name
    got = _feed(metric, [(y[:20], p[:20]), (y[20:], p[20:])])
    err = (y - p).astype(np.float64)
    want = {"mae": np.abs(err).mean(), "mse": (err ** 2).mean(),
            "rmse": np.sqrt((err ** 2).mean())}[name]
    assert got == pytest.approx(want, rel=1e-5)


def test_every_registered_metric_is_checked_here() -> None:
    assert set(METRICS) == {"accuracy", "auc", "precision", "recall", "mae", "mse", "rmse"}


# ---- tutorial 000 against numpy gradient descent -----------------------------------------------

def _numpy_gradient_descent(x: np.ndarray, y: np.ndarray, epochs: int, lr: float,
                            w: float, b: float) -> list[tuple[float, float, float]]:
    """Tutorial 000 by hand, in float64: full batch, loss mean((y - (x·W + b))²), the loss
    reported before each step; (loss, W, b) after each epoch."""
    x, y = x.astype(np.float64).ravel(), y.astype(np.float64).ravel()
    out = []
    for _ in range(epochs):
        err = y - (x * w + b)
        loss = float(np.mean(err ** 2))
        w, b = w - lr * float(np.mean(-2 * err * x)), b - lr * float(np.mean(-2 * err))
        out.append((loss, w, b))
    return out


@pytest.mark.slow
def test_tutorial_000_w_and_b_equal_numpy_gradient_descent() -> None:
    """Each epoch's W, b and loss from ``train`` equal plain numpy gradient descent on the very
    training split the run uses, to 1e-5 (lr 0.09 or 0.11, or 9 epochs, are far off)."""
    spec = get_preset("linear-gd")
    assert (spec.train.learning_rate, spec.train.epochs, spec.train.batch_size) == (0.1, 10, 0)
    splits = spec.dataset.load(spec.train.validation_split)
    assert splits.x_train.shape == (1000, 1)
    events: list = []
    final = train(spec, events.append)
    assert isinstance(final, RunFinished) and final.status == "finished"
    epochs = [e for e in events if isinstance(e, EpochDone)]
    expected = _numpy_gradient_descent(splits.x_train, splits.y_train, 10, 0.1, 5.0, 0.0)
    assert len(epochs) == len(expected) == 10
    for event, (loss, w, b) in zip(epochs, expected, strict=True):
        layer = event.weights[0]
        assert layer.kernel.values[0] == pytest.approx(w, abs=1e-5)
        assert layer.bias.values[0] == pytest.approx(b, abs=1e-5)
        assert event.loss == pytest.approx(loss, rel=1e-5)
    # the oracle itself is sharp: nearby settings end elsewhere
    _, w10, b10 = expected[-1]
    for lr, n in ((0.09, 10), (0.11, 10), (0.1, 9)):
        _, w_other, b_other = _numpy_gradient_descent(splits.x_train, splits.y_train, n, lr,
                                                      5.0, 0.0)[-1]
        assert abs(w_other - w10) > 1e-3 or abs(b_other - b10) > 1e-3


# ---- the confusion counts against numpy -------------------------------------------------------

@pytest.mark.parametrize("case", list(CLASS_CASES))
def test_confusion_counts_match_numpy(case: str) -> None:
    """The evaluation's confusion matrix, accumulated over batches, equals numpy's count of
    (label, argmax) pairs; label columns and float labels count the same."""
    from ktui.core.metrics import ConfusionCounts

    labels, logits = CLASS_CASES[case]
    metric = ConfusionCounts(CLASSES)
    assert metric.name == "confusion" and metric.get_config()["classes"] == CLASSES
    for i in range(0, len(labels), 5):
        column = labels[i:i + 5].reshape(-1, 1)
        metric.update_state(column.astype("float32") if i % 2 else column, logits[i:i + 5])
    expected = np.zeros((CLASSES, CLASSES), np.int64)
    np.add.at(expected, (labels, np.argmax(logits, -1)), 1)
    got = keras.ops.convert_to_numpy(metric.result())
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int32
    metric.reset_state()
    assert int(np.sum(keras.ops.convert_to_numpy(metric.result()))) == 0
    assert ConfusionCounts(3, name="c").name == "c"
