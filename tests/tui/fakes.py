"""Scripted stand-ins for ``ktui.core.training.loop.train``: deterministic events, no TensorFlow.

Each fake has the trainer's signature, sends events to ``sink`` from the calling (worker)
thread, honours the :class:`TrainerControl` (pause, single step, stop) between steps, and
returns its final event, as the real trainer does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

from ktui.core.events import (
    EpochDone,
    Evaluating,
    Event,
    LayerSummary,
    LayerWeights,
    LrChanged,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    TensorStats,
    XlaPicked,
)
from ktui.core.events.insight import Confusion, Predictions, SampleSet
from ktui.core.spec import ExperimentSpec
from ktui.core.training.control import TrainerControl

Sink = Callable[[Event], None]


def _stats(values: tuple[float, ...], *, std: float | None = None) -> TensorStats:
    n = len(values)
    mean = sum(values) / n
    s = std if std is not None else math.sqrt(sum((v - mean) ** 2 for v in values) / n)
    return TensorStats(size=n, mean=mean, std=s, norm=math.sqrt(sum(v * v for v in values)),
                       min=min(values), max=max(values), values=values if n <= 16 else ())


def linear_events(epochs: int = 10, steps: int = 4) -> Iterator[Event]:
    """A 1-unit linear model converging from W=5, b=0 to the true W=3, b=2 (as seed 000)."""
    start = (LayerWeights("dense_1", _stats((5.0,)), _stats((0.0,))),)
    yield RunStarted(
        name="linear-gd", devices=("CPU:0",),
        layers=(LayerSummary("dense_1", "Dense", (None, 1), 2, 2),),
        total_params=2, trainable_params=2, epochs=epochs, start_epoch=0,
        steps_per_epoch=steps, batch_size=200, train_samples=800, val_samples=200,
        test_samples=200, task="regression", metric_names=("mae",),
        true_weights=(3.0,), true_bias=2.0, initial_weights=start, wb_model=True)
    g = 0
    for e in range(1, epochs + 1):
        for s in range(1, steps + 1):
            g += 1
            t = g / steps
            w, b = 3 + 2 * 0.7 ** t, 2 - 2 * 0.7 ** t
            yield StepDone(e, s, steps, g, 1 + (w - 3) ** 2 + (b - 2) ** 2 + 0.1 * (s % 2),
                           steps_per_s=100.0)
        w, b = 3 + 2 * 0.7 ** e, 2 - 2 * 0.7 ** e
        loss = 1 + (w - 3) ** 2 + (b - 2) ** 2
        yield EpochDone(
            epoch=e, epochs=epochs, loss=loss, val_loss=loss * 1.05,
            metrics={"mae": 0.8 + 0.5 * 0.7 ** e}, val_metrics={"mae": 0.82 + 0.5 * 0.7 ** e},
            weights=(LayerWeights("dense_1", _stats((w,)), _stats((b,))),),
            seconds=0.1, samples_per_s=8000.0)


def classifier_events(epochs: int = 8, steps: int = 20) -> Iterator[Event]:
    """A 3-layer MLP on Fashion-MNIST: loss falls, accuracy rises, kernel stds drift."""
    layers = (("dense_1", 784 * 200), ("dense_2", 200 * 100), ("dense_3", 100 * 10))
    start = tuple(LayerWeights(name, _stats((0.0, 0.1), std=0.05 + 0.01 * i), _stats((0.0, 0.0)))
                  for i, (name, _) in enumerate(layers))
    yield RunStarted(
        name="fashion-mlp", devices=("CPU:0",),
        layers=tuple(LayerSummary(n, "Dense", (None, 10), p, p) for n, p in layers),
        total_params=178_110, trainable_params=178_110, epochs=epochs, start_epoch=0,
        steps_per_epoch=steps, batch_size=256, train_samples=9000, val_samples=1000,
        test_samples=10_000, task="classification", metric_names=("accuracy",),
        initial_weights=start, wb_model=False)
    g = 0
    for e in range(1, epochs + 1):
        for s in range(1, steps + 1):
            g += 1
            t = g / steps
            yield StepDone(e, s, steps, g, 0.3 + 2.0 * 0.55 ** t + 0.05 * ((s * 7) % 5) / 5,
                           steps_per_s=40.0)
        loss = 0.3 + 2.0 * 0.55 ** e
        weights = tuple(
            LayerWeights(name, _stats((0.0, 0.1), std=0.05 + 0.01 * i + 0.004 * e * (i + 1)),
                         _stats((0.0, 0.01)))
            for i, (name, _) in enumerate(layers))
        yield EpochDone(
            epoch=e, epochs=epochs, loss=loss, val_loss=loss + 0.04 + 0.01 * e,
            metrics={"accuracy": 0.9 - 0.5 * 0.6 ** e},
            val_metrics={"accuracy": 0.88 - 0.5 * 0.6 ** e},
            weights=weights, seconds=1.0, samples_per_s=9000.0)


def scripted(events: Callable[[], Iterator[Event]], *, test: dict[str, float] | None = None,
             step_delay: float = 0.0, stop_after: int | None = None) -> Callable[..., Event]:
    """A train function replaying ``events()``; pauses, steps and stops like the trainer.

    ``stop_after``: leave the run unfinished after that many events (for "mid-run" views,
    returns a RunFinished with status ``stopped`` that is *not* sent to the sink).
    """

    def train(spec: ExperimentSpec, sink: Sink, control: TrainerControl | None = None, *,
              data_dir: str | None = None) -> RunFinished | RunFailed:
        control = control or TrainerControl()
        epochs_done = 0
        state = {"epoch": 0, "step": 0}
        for i, ev in enumerate(events()):
            if stop_after is not None and i >= stop_after:
                return RunFinished("stopped", epochs_done, {}, 0.0)
            if isinstance(ev, StepDone):
                state.update(epoch=ev.epoch, step=ev.step)
                go = control.wait_turn(
                    on_pause=lambda: sink(Paused(state["epoch"], state["step"])),
                    on_resume=lambda: sink(Resumed(state["epoch"], state["step"])))
                if not go:
                    final = RunFinished("stopped", epochs_done, {}, 1.0)
                    sink(final)
                    return final
                if step_delay:
                    time.sleep(step_delay)
            if isinstance(ev, EpochDone):
                epochs_done += 1
            sink(ev)
        final = RunFinished("finished", epochs_done, test or {}, 1.0)
        sink(final)
        return final

    return train


def failing(kind: str = "nan", message: str = "loss is nan at epoch 2, step 3; the "
            "learning rate may be too high (weights kept from the last good step)"
            ) -> Callable[..., Event]:
    """A run that starts, does one epoch, then reports a RunFailed (as for a NaN loss)."""

    def train(spec: ExperimentSpec, sink: Sink, control: TrainerControl | None = None, *,
              data_dir: str | None = None) -> RunFailed:
        for ev in linear_events(epochs=10, steps=4):
            sink(ev)
            if isinstance(ev, EpochDone):
                break
        final = RunFailed(kind, message, epoch=2, step=3)  # type: ignore[arg-type]
        sink(final)
        return final

    return train


def raising(spec: ExperimentSpec, sink: Sink, control: TrainerControl | None = None, *,
            data_dir: str | None = None) -> RunFinished:
    """A train function with a bug: it raises after the run started."""
    sink(next(linear_events()))
    raise RuntimeError("boom: the fake trainer fell over")


# ---- a run with every kind of event the trainer sends ---------------------------------------

#: Fashion-MNIST's classes (the fake run below is a 10-class classifier, as fashion-mlp).
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
_MLP = (("dense_1", 784 * 8), ("dense_2", 8 * 10))


def _histogram_stats(size: int, spread: float) -> TensorStats:
    counts = tuple(max(1, round(size * math.exp(-((i - 4.5) / 2.5) ** 2) / 4.4)) for i in range(10))
    return TensorStats(size=size, mean=0.0, std=spread, norm=spread * math.sqrt(size),
                       min=-3 * spread, max=3 * spread, histogram=counts)


def _mlp_weights(epoch: int) -> tuple[LayerWeights, ...]:
    return tuple(LayerWeights(name, _histogram_stats(size, 0.05 + 0.01 * epoch * (i + 1)),
                              _histogram_stats(10, 0.01))
                 for i, (name, size) in enumerate(_MLP))


def _matrix(epoch: int, total: int, split: str) -> Confusion:
    """``total`` examples, 10 classes: right more often each epoch, the rest one class off."""
    per, extra = divmod(total, 10)
    rows = []
    for t in range(10):
        n = per + (t < extra)
        right = min(n, n * (epoch + 1) // 4)
        row = [0] * 10
        row[t] += right
        row[(t + 6) % 10] += n - right
        rows.append(tuple(row))
    return Confusion(epoch, split, tuple(rows), FASHION_CLASSES)


def every_kind_events(epochs: int = 3, steps: int = 4, val: int = 20,
                      test: int = 30) -> Iterator[Event]:
    """A small classifier run that sends every kind of event the real trainer sends, in its
    order: the run's start and its validation sample (one 28x28 image per class), steps with
    gradient norms per layer, a pause and a resume, a learning rate set by the user, each
    epoch's end (with its rate) then the validation confusion matrix and the predictions, a
    plateau's lower rate, then the test evaluation and its matrix. :func:`scripted` ends it
    with a RunFinished; :func:`failing` is the run that ends with a RunFailed instead."""
    images = tuple(tuple((40 + 20 * c) if 4 + c <= r < 12 + c else (r * 5 + col) % 30
                         for r in range(28) for col in range(28)) for c in range(10))
    yield RunStarted(
        name="fashion-mlp", devices=("CPU:0",),
        layers=(LayerSummary("flatten", "Flatten", (None, 784), 0, 0),
                *(LayerSummary(n, "Dense", (None, 10), p, p) for n, p in _MLP)),
        total_params=sum(p for _, p in _MLP), trainable_params=sum(p for _, p in _MLP),
        epochs=epochs, start_epoch=0, steps_per_epoch=steps, batch_size=32,
        train_samples=steps * 32, val_samples=val, test_samples=test,
        task="classification", metric_names=("accuracy",), initial_weights=_mlp_weights(0),
        wb_model=False)
    yield SampleSet("validation", tuple(range(10)), tuple(float(c) for c in range(10)),
                    FASHION_CLASSES, (28, 28), images)
    g, lr = 0, 0.001
    for e in range(1, epochs + 1):
        for s in range(1, steps + 1):
            g += 1
            if e == 1 and s == 2:
                yield Paused(1, 1)
                yield Resumed(1, 1)
                yield LrChanged(1, 1, lr=0.002, previous=lr, source="user")
                lr = 0.002
            yield StepDone(e, s, steps, g, 2.3 * 0.8 ** (g / steps), steps_per_s=50.0,
                           grad_norms={name: 0.5 * (2 - i) * 0.9 ** g
                                       for i, (name, _) in enumerate(_MLP)})
            if e == 1 and s == 3:  # a short run: jit_compile = "auto" does not try XLA
                yield XlaPicked(False, "not tried: the run's steps left take ~0.2 s, too "
                                "few to repay XLA's compilation", 1, 3, tried=False,
                                plain_ms=5.0)
        loss = 2.3 * 0.8 ** e
        yield EpochDone(
            epoch=e, epochs=epochs, loss=loss, val_loss=loss + 0.05,
            metrics={"accuracy": 0.2 * e}, val_metrics={"accuracy": 0.2 * e - 0.05},
            weights=_mlp_weights(e), seconds=0.5, samples_per_s=256.0, lr=lr)
        yield _matrix(e, val, "validation")
        yield Predictions(e, "validation",
                          tuple(float(c if c < 3 * e else (c + 6) % 10) for c in range(10)),
                          tuple(0.5 + 0.04 * c for c in range(10)))
        if e == 2:
            yield LrChanged(e, 0, lr=lr / 2, previous=lr, source="plateau")
            lr /= 2
    yield Evaluating("test")
    yield _matrix(epochs, test, "test")
