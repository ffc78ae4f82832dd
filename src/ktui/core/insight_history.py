"""What the insight pages draw, gathered from a run's events: the validation sample and the
model's predictions for it (the first and the latest), the confusion matrices, each layer's
gradient norm per step window and each layer's kernel histogram per epoch.

:class:`RunHistory` holds one and passes it every event (:meth:`InsightHistory.apply`), so a
live run and a past run replayed from ``events.jsonl`` build the same state. Bounded whatever
the run's length: the gradient series is halved (neighbours averaged) past
:data:`MAX_GRAD_POINTS`, the histogram columns thinned past :data:`MAX_COLUMNS` (the first
and the latest kept). Pure Python: no TensorFlow, no Textual.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ktui.core.events import EpochDone, Event, LayerWeights, RunStarted, StepDone
from ktui.core.events.insight import Confusion, Predictions, SampleSet

#: Gradient-norm points kept per layer; beyond this, neighbouring points are averaged in pairs.
MAX_GRAD_POINTS = 1000
#: Histogram columns (epochs) kept per layer; beyond this, every second one is dropped.
MAX_COLUMNS = 256


@dataclass(frozen=True)
class HistogramColumn:
    """One tensor's histogram at one epoch: ``counts`` of equal bins over ``[lo, hi]``."""

    x: float
    lo: float
    hi: float
    counts: tuple[int, ...]


def _mean(values: Sequence[float]) -> float:
    """The mean of the finite values (NaN marks a step window a layer was not measured in)."""
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def halve(xs: list[float], series: dict[str, list[float]]
          ) -> tuple[list[float], dict[str, list[float]]]:
    """Every two neighbouring points as one (the later x, the mean of the finite ys)."""
    out_x = [xs[min(i + 1, len(xs) - 1)] for i in range(0, len(xs), 2)]
    out = {name: [_mean(ys[i:i + 2]) for i in range(0, len(ys), 2)]
           for name, ys in series.items()}
    return out_x, out


@dataclass
class InsightHistory:
    """The insight pages' data of one run, derived from its events only."""

    #: The fixed validation sample (images or table rows, with targets).
    sample: SampleSet | None = None
    #: The model's predictions for the sample: the first sent (the earliest picture of the
    #: model) and the latest.
    first_predictions: Predictions | None = None
    predictions: Predictions | None = None
    #: The latest confusion matrix per split (``validation`` each epoch, ``test`` at the end).
    confusion: dict[str, Confusion] = field(default_factory=dict)
    #: Gradient norm per layer per step window, on the epoch axis (0.5: half-way through the
    #: first epoch); every layer's list is as long as ``grad_x`` (NaN: not measured then).
    grad_x: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)
    #: Each layer's kernel histogram per epoch (the weights before the first step at the
    #: run's start epoch, when sent).
    histograms: dict[str, list[HistogramColumn]] = field(default_factory=dict)
    #: Counters a view compares to know whether it has something new to draw.
    samples_seen: int = 0
    predictions_seen: int = 0
    confusions_seen: int = 0
    grads_seen: int = 0
    histograms_seen: int = 0

    def apply(self, event: Event) -> None:
        """Take one event into account (in the order the trainer sent them)."""
        if isinstance(event, StepDone):
            if event.grad_norms:
                self._grads(event)
        elif isinstance(event, EpochDone):
            self._weights(event.weights, float(event.epoch))
        elif isinstance(event, RunStarted):
            self._weights(event.initial_weights, float(event.start_epoch))
        elif isinstance(event, SampleSet):
            self.sample = event
            self.samples_seen += 1
        elif isinstance(event, Predictions):
            if self.first_predictions is None:
                self.first_predictions = event
            self.predictions = event
            self.predictions_seen += 1
        elif isinstance(event, Confusion):
            self.confusion[event.split] = event
            self.confusions_seen += 1

    # ---- gradients -----------------------------------------------------------------------
    def _grads(self, ev: StepDone) -> None:
        n = len(self.grad_x)
        self.grad_x.append(ev.global_step / max(ev.steps_per_epoch, 1))
        for name, value in ev.grad_norms.items():
            self.grad_norms.setdefault(name, [math.nan] * n).append(float(value))
        for ys in self.grad_norms.values():
            if len(ys) == n:  # a layer this window did not report
                ys.append(math.nan)
        if len(self.grad_x) > MAX_GRAD_POINTS:
            self.grad_x, self.grad_norms = halve(self.grad_x, self.grad_norms)
        self.grads_seen += 1

    def grad_layers(self) -> list[str]:
        """The layers with a gradient series, in the order they first reported."""
        return list(self.grad_norms)

    def latest_grad(self, layer: str) -> float | None:
        """A layer's latest measured gradient norm (None: never measured)."""
        for value in reversed(self.grad_norms.get(layer, [])):
            if not math.isnan(value):
                return value
        return None

    def no_gradient(self) -> list[str]:
        """The layers whose latest gradient norm is exactly 0: nothing reaches them (a
        frozen or disconnected layer, a ReLU that died, a gradient cut by the user's code)."""
        return [name for name in self.grad_norms if self.latest_grad(name) == 0.0]

    # ---- weights -------------------------------------------------------------------------
    def _weights(self, weights: Sequence[LayerWeights], x: float) -> None:
        added = False
        for lw in weights:
            stats = lw.kernel
            if stats is None or not stats.histogram or not sum(stats.histogram):
                continue
            if not (math.isfinite(stats.min) and math.isfinite(stats.max)):
                continue
            columns = self.histograms.setdefault(lw.layer, [])
            if columns and columns[-1].x == x:  # the same epoch again (a resumed run)
                columns.pop()
            columns.append(HistogramColumn(x, stats.min, stats.max, tuple(stats.histogram)))
            if len(columns) > MAX_COLUMNS:
                columns[:] = columns[:-1:2] + columns[-1:]  # the first and the latest kept
            added = True
        if added:
            self.histograms_seen += 1


__all__ = ["MAX_COLUMNS", "MAX_GRAD_POINTS", "HistogramColumn", "InsightHistory", "halve"]
