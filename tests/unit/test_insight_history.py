"""The insight pages' state (issue 12, training-view pages): what InsightHistory keeps from the
events, its bounds, the kernel histogram the trainer adds to TensorStats, and a recorded run
replaying to the same state as the live one."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np

from ktui.core.events import (
    EpochDone,
    Event,
    LayerSummary,
    LayerWeights,
    RunFinished,
    RunStarted,
    StepDone,
    TensorStats,
    from_dict,
    to_json,
)
from ktui.core.events.insight import Confusion, Predictions, SampleSet
from ktui.core.history import RunHistory
from ktui.core.insight_history import MAX_COLUMNS, MAX_GRAD_POINTS, InsightHistory, halve
from ktui.core.runs import RunDir
from ktui.core.runs.recorder import RunRecorder
from ktui.core.runs.replay import load_recorded
from ktui.core.spec.presets import get_preset
from ktui.core.training.weights import HISTOGRAM_BINS, histogram, tensor_stats


def _weights(epoch: int) -> tuple[LayerWeights, ...]:
    """Two layers whose kernels spread with the epochs (real histograms of fixed numbers)."""
    rng = np.random.default_rng(epoch)
    return tuple(LayerWeights(name, tensor_stats(rng.normal(0, 0.1 + 0.02 * epoch, size)),
                              tensor_stats(np.zeros(4)))
                 for name, size in (("dense_1", (20, 8)), ("dense_2", (8, 3))))


def classifier_stream(epochs: int = 3, steps: int = 2) -> list[Event]:
    """A small classifier run with every insight event, as the trainer sends them."""
    names = ("a", "b", "c")
    events: list[Event] = [
        RunStarted("mlp", ("CPU:0",), (LayerSummary("dense_1", "Dense", (None, 8), 168, 168),),
                   195, 195, epochs, 0, steps, 32, 64, 16, 16, "classification",
                   ("accuracy",), initial_weights=_weights(0), wb_model=False),
        SampleSet("validation", (1, 4, 7), (0.0, 1.0, 2.0), names, (2, 2),
                  ((0, 50, 100, 150), (255, 0, 255, 0), (9, 9, 9, 9)))]
    g = 0
    for e in range(1, epochs + 1):
        for s in range(1, steps + 1):
            g += 1
            events.append(StepDone(e, s, steps, g, 1.0 / g, 10.0,
                                   grad_norms={"dense_1": 0.5 / g, "dense_2": 0.0}))
        events.append(EpochDone(e, epochs, 1.0 / e, 1.1 / e, {"accuracy": 0.5},
                                {"accuracy": 0.4}, _weights(e), 1.0, 100.0))
        events.append(Confusion(e, "validation", ((3 + e, 1), (2, 4 + e)), names[:2]))
        events.append(Predictions(e, "validation", (0.0, 1.0, float(e % 3)), (0.9, 0.8, 0.5)))
    events.append(Confusion(epochs, "test", ((9, 1), (2, 8)), names[:2]))
    events.append(RunFinished("finished", epochs, {"accuracy": 0.8}, 1.0))
    return events


def regression_stream() -> list[Event]:
    """A linear model's run: W and b values, the sample of x and y, predictions per epoch."""
    w0 = (LayerWeights("dense", tensor_stats(np.array([5.0])), tensor_stats(np.array([0.0]))),)
    events: list[Event] = [
        RunStarted("lin", ("CPU:0",), (), 2, 2, 2, 0, 1, 8, 8, 4, 4, "regression", ("mae",),
                   (3.0,), 2.0, initial_weights=w0, wb_model=True),
        SampleSet("validation", (0, 1, 2), (2.0, 5.0, 8.0), features=((0.0,), (1.0,), (2.0,)))]
    for e in (1, 2):
        w, b = 5.0 - e, float(e)
        events.append(StepDone(e, 1, 1, e, 1.0, 5.0, grad_norms={"dense": 2.0 / e}))
        events.append(EpochDone(e, 2, 1.0, 1.0, {}, {}, (LayerWeights(
            "dense", tensor_stats(np.array([w])), tensor_stats(np.array([b]))),), 1.0, 1.0))
        events.append(Predictions(e, "validation", tuple(w * x + b for x in (0.0, 1.0, 2.0))))
    return events


def _step(g: int, norms: dict[str, float], spe: int = 4) -> StepDone:
    return StepDone(1 + (g - 1) // spe, (g - 1) % spe + 1, spe, g, 1.0, 10.0, grad_norms=norms)


def _kernel_with(counts: tuple[int, ...], lo: float, hi: float) -> TensorStats:
    return TensorStats(sum(counts), 0.0, 1.0, 1.0, lo, hi, histogram=counts)


def test_keeps_the_sample_first_and_latest_predictions_and_confusion_per_split() -> None:
    h = InsightHistory()
    sample = SampleSet("validation", (3, 5), (1.0, 2.0), features=((0.5,), (1.5,)))
    h.apply(sample)
    for epoch in (1, 2, 3):
        h.apply(Predictions(epoch, "validation", (epoch * 1.0, epoch * 2.0)))
    h.apply(Confusion(3, "validation", ((5, 1), (0, 4)), ("a", "b")))
    h.apply(Confusion(3, "test", ((9, 1), (2, 8)), ("a", "b")))
    h.apply(Confusion(4, "validation", ((6, 0), (0, 4)), ("a", "b")))
    assert h.sample is sample
    assert h.first_predictions.epoch == 1 and h.predictions.epoch == 3
    assert h.confusion["validation"].epoch == 4 and h.confusion["test"].matrix[0] == (9, 1)
    assert (h.samples_seen, h.predictions_seen, h.confusions_seen) == (1, 3, 3)


def test_gradient_series_on_the_epoch_axis_and_aligned_per_layer() -> None:
    h = InsightHistory()
    h.apply(_step(1, {"a": 0.5}))
    h.apply(_step(2, {"a": 0.4, "b": 0.0}))  # b reports from the second window on
    h.apply(_step(3, {}))  # not measured: no point
    h.apply(_step(4, {"a": 0.3}))  # b missing in this window
    assert h.grad_x == [0.25, 0.5, 1.0]
    assert h.grad_norms["a"] == [0.5, 0.4, 0.3]
    assert math.isnan(h.grad_norms["b"][0]) and h.grad_norms["b"][1] == 0.0
    assert math.isnan(h.grad_norms["b"][2])
    assert h.latest_grad("b") == 0.0 and h.no_gradient() == ["b"]
    assert h.grads_seen == 3


def test_gradient_series_stays_bounded_and_keeps_its_trend() -> None:
    h = InsightHistory()
    for g in range(1, 3 * MAX_GRAD_POINTS):
        h.apply(_step(g, {"a": 1.0 / g}, spe=100))
    assert len(h.grad_x) <= MAX_GRAD_POINTS and len(h.grad_norms["a"]) == len(h.grad_x)
    assert h.grad_x == sorted(h.grad_x) and h.grad_x[-1] == (3 * MAX_GRAD_POINTS - 1) / 100
    ys = h.grad_norms["a"]
    assert all(a > b for a, b in zip(ys, ys[1:], strict=False))  # still falling


def test_halve_averages_finite_neighbours_only() -> None:
    xs, series = halve([1.0, 2.0, 3.0], {"a": [1.0, math.nan, 5.0]})
    assert xs == [2.0, 3.0] and series == {"a": [1.0, 5.0]}


def test_histograms_per_layer_from_the_initial_weights_and_each_epoch() -> None:
    h = RunHistory()
    events = classifier_stream(epochs=3, steps=2)
    for ev in events:
        h.apply(ev, now=0.0)
    columns = h.insight.histograms["dense_1"]
    assert [c.x for c in columns] == [0.0, 1.0, 2.0, 3.0]
    assert columns[-1].hi - columns[-1].lo > columns[0].hi - columns[0].lo  # it spread
    last = next(e for e in reversed(events) if isinstance(e, EpochDone))
    assert columns[-1].counts == last.weights[0].kernel.histogram
    assert (columns[-1].lo, columns[-1].hi) == (last.weights[0].kernel.min,
                                                last.weights[0].kernel.max)
    assert set(h.insight.histograms) == {"dense_1", "dense_2"}
    assert h.insight.no_gradient() == ["dense_2"]


def test_histogram_columns_are_thinned_keeping_the_first_and_the_latest() -> None:
    h = InsightHistory()
    kernel = _kernel_with((1, 2, 3), -1.0, 1.0)
    for epoch in range(0, 3 * MAX_COLUMNS):
        h.apply(EpochDone(epoch, 0, 1.0, None, {}, {}, (LayerWeights("d", kernel, None),),
                          0.0, 0.0))
    xs = [c.x for c in h.histograms["d"]]
    assert len(xs) <= MAX_COLUMNS and xs[0] == 0.0 and xs[-1] == 3 * MAX_COLUMNS - 1
    assert xs == sorted(xs)


def test_tensors_without_a_usable_histogram_add_no_column() -> None:
    h = InsightHistory()
    one = TensorStats(1, 3.0, 0.0, 3.0, 3.0, 3.0, values=(3.0,))  # a linear model's W
    nan = _kernel_with((1, 1), math.nan, 1.0)
    h.apply(EpochDone(1, 1, 1.0, None, {}, {}, (LayerWeights("w", one, None),
                                               LayerWeights("n", nan, None)), 0.0, 0.0))
    assert h.histograms == {} and h.histograms_seen == 0


def test_tensor_stats_carry_a_histogram_of_the_weights() -> None:
    rng = np.random.default_rng(0)
    weights = rng.normal(0.0, 0.1, (30, 20))
    stats = tensor_stats(weights)
    assert len(stats.histogram) == HISTOGRAM_BINS and sum(stats.histogram) == weights.size
    expected, _ = np.histogram(weights, bins=HISTOGRAM_BINS, range=(weights.min(), weights.max()))
    assert stats.histogram == tuple(int(c) for c in expected)
    middle = stats.histogram[HISTOGRAM_BINS // 2 - 2: HISTOGRAM_BINS // 2 + 2]
    assert min(middle) > max(stats.histogram[:2] + stats.histogram[-2:])  # a bell
    assert tensor_stats(np.array([2.0])).histogram == ()  # one value: W itself is shown
    assert histogram(np.array([1.0, math.inf])) == ()
    assert histogram(np.zeros(5)) == (5,) + (0,) * (HISTOGRAM_BINS - 1)


def test_histogram_survives_the_codec_and_old_lines_load_without_one() -> None:
    stats = tensor_stats(np.linspace(-1, 1, 100))
    event = EpochDone(1, 1, 1.0, None, {}, {}, (LayerWeights("d", stats, None),), 0.0, 0.0)
    back = from_dict(json.loads(to_json(event)))
    assert back == event and back.weights[0].kernel.histogram == stats.histogram
    old = json.loads(to_json(event))
    del old["weights"][0]["kernel"]["histogram"]
    assert from_dict(old).weights[0].kernel.histogram == ()


def _record(root: Path, spec_name: str, events: list) -> RunDir:
    run = RunDir.create(root, get_preset(spec_name))
    recorder = RunRecorder(run)
    for event in events:
        recorder(event)
    recorder.close()
    return run


def _insight_state(h: RunHistory) -> tuple:
    i = h.insight
    return (i.sample, i.first_predictions, i.predictions, i.confusion, i.grad_x,
            {k: [None if math.isnan(v) else v for v in ys] for k, ys in i.grad_norms.items()},
            i.histograms)


def test_a_recorded_run_replays_to_the_same_insight_state(tmp_path: Path) -> None:
    for preset, stream in (("fashion-mlp", classifier_stream),
                           ("linear-gd", regression_stream)):
        events = stream()
        live = RunHistory()
        for ev in events:
            live.apply(ev, now=0.0)
        recorded = load_recorded(_record(tmp_path / preset, preset, events))
        replayed = RunHistory()
        for ev in recorded.events:
            replayed.apply(ev, now=0.0)
        assert _insight_state(replayed) == _insight_state(live)
        assert live.insight.predictions is not None and live.insight.grad_x


def test_insight_events_do_not_change_the_run_history_curves() -> None:
    plain = RunHistory()
    rich = RunHistory()
    for ev in regression_stream():
        rich.apply(ev, now=0.0)
        if not isinstance(ev, (SampleSet, Predictions, Confusion)):
            plain.apply(dataclasses.replace(ev, grad_norms={}) if isinstance(ev, StepDone)
                        else ev, now=0.0)
    assert (rich.step_y, rich.train_loss, rich.weights) == (plain.step_y, plain.train_loss,
                                                           plain.weights)
    assert rich.insight.predictions is not None and plain.insight.predictions is None
