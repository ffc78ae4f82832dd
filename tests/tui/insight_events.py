"""Scripted runs with the insight pages' events (fixed numbers, no TensorFlow): the fakes'
runs plus a validation sample, predictions after each epoch, confusion matrices, gradient
norms per step window and kernel histograms, as the trainer sends them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

from ktui.core.events import EpochDone, Event, LayerWeights, RunStarted, StepDone, TensorStats
from ktui.core.events.insight import Confusion, Predictions, SampleSet

from .fakes import classifier_events, linear_events

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot")
BINS = 20


def _normal_histogram(spread: float, size: int) -> tuple[int, ...]:
    """Counts of a bell over [-3 spread, 3 spread] (the bins' centres), summing to ~size."""
    centres = [-3 + 6 * (i + 0.5) / BINS for i in range(BINS)]
    weights = [math.exp(-c * c / 2) for c in centres]
    total = sum(weights)
    return tuple(round(size * w / total) for w in weights)


def _kernel(size: int, spread: float, skew: float = 0.0) -> TensorStats:
    lo, hi = -3 * spread + skew, 3 * spread + skew
    return TensorStats(size=size, mean=skew, std=spread, norm=spread * math.sqrt(size),
                       min=lo, max=hi, histogram=_normal_histogram(spread, size))


def _bias(size: int) -> TensorStats:
    return TensorStats(size=size, mean=0.0, std=0.01, norm=0.1, min=-0.02, max=0.02,
                       histogram=_normal_histogram(0.01, size))


LAYERS = (("dense_1", 784 * 200), ("dense_2", 200 * 100), ("dense_3", 100 * 10))


def _mlp_weights(epoch: int) -> tuple[LayerWeights, ...]:
    return tuple(LayerWeights(name, _kernel(size, 0.05 * (i + 1) + 0.006 * epoch * (3 - i),
                                            skew=0.002 * epoch * (i - 1)), _bias(10))
                 for i, (name, size) in enumerate(LAYERS))


def _images() -> tuple[tuple[int, int], tuple[tuple[int, ...], ...], tuple[float, ...]]:
    """Two 28x28 images per class: a bright block whose place and size tell the class."""
    images, targets = [], []
    for c in range(10):
        for k in range(2):
            top, left = 2 + (c % 5) * 4 + k, 2 + (c // 5) * 10
            height, width = 8 + c % 3 * 3, 6 + c % 4 * 2
            pixels = []
            for r in range(28):
                for col in range(28):
                    inside = top <= r < top + height and left <= col < left + width
                    pixels.append(200 + (r + col + c) % 50 if inside else (r * 3 + col) % 20)
            images.append(tuple(pixels))
            targets.append(float(c))
    return (28, 28), tuple(images), tuple(targets)


def _confusion(epoch: int, split: str, total: int = 100) -> Confusion:
    """A diagonal that firms up with the epochs; shirts taken for T-shirts and pullovers."""
    rows = []
    for t in range(10):
        right = min(total - 2, int(total * (0.55 + 0.05 * epoch + 0.02 * (t % 4))))
        row = [0] * 10
        row[t] = right
        rest = total - right
        for j, other in enumerate(((t + 6) % 10, (t + 2) % 10, (t + 4) % 10)):
            row[other] += rest // 3 + (j < rest % 3)
        rows.append(tuple(row))
    return Confusion(epoch, split, tuple(rows), CLASSES)


def _class_predictions(epoch: int, targets: tuple[float, ...]) -> Predictions:
    """Right for most examples, more of them each epoch; a fixed confidence per example."""
    predicted, confidence = [], []
    for i, t in enumerate(targets):
        wrong = (i * 7 + epoch) % 10 < max(1, 5 - epoch)
        predicted.append(float((int(t) + 6) % 10 if wrong else t))
        confidence.append(round(0.45 + ((i * 37) % 50) / 100, 2))
    return Predictions(epoch, "validation", tuple(predicted), tuple(confidence))


def classifier_insight_events(epochs: int = 8, steps: int = 20,
                              dead_layer: str | None = "dense_2") -> Iterator[Event]:
    """classifier_events with the insight events; ``dead_layer`` gets no gradient after the
    third epoch (a layer cut off by the user's code)."""
    shape, images, targets = _images()
    for ev in classifier_events(epochs=epochs, steps=steps):
        if isinstance(ev, RunStarted):
            yield dataclasses.replace(ev, initial_weights=_mlp_weights(0))
            yield SampleSet("validation", tuple(range(0, 40, 2)), targets, CLASSES, shape,
                            images)
        elif isinstance(ev, StepDone):
            t = ev.global_step / steps
            norms = {name: 0.02 * (4 - i) ** 2 * (0.5 + 0.5 * 0.7 ** t) * (1 + 0.1 * (ev.step % 3))
                     for i, (name, _) in enumerate(LAYERS)}
            if dead_layer and t > 3:
                norms[dead_layer] = 0.0
            yield dataclasses.replace(ev, grad_norms=norms)
        elif isinstance(ev, EpochDone):
            yield dataclasses.replace(ev, weights=_mlp_weights(ev.epoch))
            yield _confusion(ev.epoch, "validation")
            yield _class_predictions(ev.epoch, targets)
        else:
            yield ev


def _xs(n: int = 60) -> list[float]:
    return [round(-2 + 4 * ((i * 37) % n) / (n - 1), 3) for i in range(n)]


def linear_insight_events(epochs: int = 10, steps: int = 4) -> Iterator[Event]:
    """linear_events (W 5 → 3, b 0 → 2 on y = 3x + 2 + noise) with the sample of x and y,
    the predictions W·x + b after each epoch and the gradient norm of the one layer."""
    xs = _xs()
    noise = [0.6 * math.sin(i * 2.3) for i in range(len(xs))]
    ys = tuple(round(3 * x + 2 + e, 3) for x, e in zip(xs, noise, strict=True))
    for ev in linear_events(epochs=epochs, steps=steps):
        yield ev if not isinstance(ev, StepDone) else dataclasses.replace(
            ev, grad_norms={"dense_1": 4.0 * 0.7 ** (ev.global_step / steps) + 0.05})
        if isinstance(ev, RunStarted):
            yield SampleSet("validation", tuple(range(len(xs))), ys,
                            features=tuple((x,) for x in xs))
        elif isinstance(ev, EpochDone):
            w = ev.weights[0].kernel.values[0]  # type: ignore[union-attr]
            b = ev.weights[0].bias.values[0]  # type: ignore[union-attr]
            yield Predictions(ev.epoch, "validation", tuple(w * x + b for x in xs))


def multi_feature_events(epochs: int = 6, steps: int = 4) -> Iterator[Event]:
    """A regression on three features: predicted vs true, closer to the diagonal each epoch."""
    n = 50
    truth = tuple(round(10 + 8 * math.sin(i * 0.7) + 0.1 * i, 3) for i in range(n))
    feats = tuple((math.sin(i * 0.7), math.cos(i), i / n) for i in range(n))
    for ev in linear_events(epochs=epochs, steps=steps):
        yield ev
        if isinstance(ev, RunStarted):
            yield SampleSet("validation", tuple(range(n)), truth, features=feats)
        elif isinstance(ev, EpochDone):
            k = 0.6 ** ev.epoch
            yield Predictions(ev.epoch, "validation",
                              tuple(t + k * (10 - t) + 0.8 * math.cos(i * 1.3)
                                    for i, t in enumerate(truth)))
