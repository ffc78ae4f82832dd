"""The run history every view reads, and the one codec of events (no TensorFlow here)."""

from __future__ import annotations

import json
import math

import pytest

from ktui.core.events import (
    EpochDone,
    Evaluating,
    LayerWeights,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    TensorStats,
    from_dict,
    to_json,
    wb_model_of,
)
from ktui.core.history import MAX_STEP_POINTS, RunHistory, downsample


def stats(*values: float) -> TensorStats:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)
    return TensorStats(n, mean, std, math.sqrt(sum(v * v for v in values)), min(values),
                       max(values), values if n <= 16 else ())


def linear(w: float, b: float) -> tuple[LayerWeights, ...]:
    return (LayerWeights("dense_1", stats(w), stats(b)),)


def mlp(scale: float) -> tuple[LayerWeights, ...]:
    return tuple(LayerWeights(f"dense_{i}", stats(0.0, scale * i, -scale * i), stats(0.0))
                 for i in (1, 2))


def started(weights: tuple[LayerWeights, ...], *, wb: bool | None, start_epoch: int = 0,
            epochs: int = 4, steps: int = 2) -> RunStarted:
    return RunStarted(
        name="t", devices=("CPU",), layers=(), total_params=2, trainable_params=2,
        epochs=epochs, start_epoch=start_epoch, steps_per_epoch=steps, batch_size=10,
        train_samples=20, val_samples=5, test_samples=7, task="regression",
        metric_names=("mae",), true_weights=(3.0,), true_bias=2.0, initial_weights=weights,
        wb_model=wb)


def epoch(n: int, weights: tuple[LayerWeights, ...], loss: float = 1.0,
          val: float | None = 1.1) -> EpochDone:
    return EpochDone(epoch=n, epochs=4, loss=loss, val_loss=val, metrics={"mae": loss / 2},
                     val_metrics={"mae": loss / 3}, weights=weights, seconds=0.1,
                     samples_per_s=200.0)


# ---- state and progress --------------------------------------------------------------------

def test_states_follow_the_events() -> None:
    h = RunHistory(state="starting", epochs=4)
    h.apply(started(linear(5, 0), wb=True), now=10.0)
    assert (h.state, h.epochs, h.steps_per_epoch, h.test_samples) == ("running", 4, 2, 7)
    h.apply(StepDone(1, 1, 2, 1, 3.0, 50.0), now=11.0)
    assert (h.step, h.global_step, h.step_loss, h.steps_per_s) == (1, 1, 3.0, 50.0)
    h.apply(Paused(1, 1), now=12.0)
    assert h.state == "paused"
    h.apply(Resumed(1, 1), now=20.0)
    assert h.state == "running"
    h.apply(epoch(1, linear(4, 1), loss=2.0), now=21.0)
    assert (h.epochs_done, h.step, h.global_step, h.loss, h.val_loss) == (1, 2, 2, 2.0, 1.1)
    assert h.metrics == {"mae": 1.0} and h.fraction == pytest.approx(0.25)
    h.apply(Evaluating(), now=22.0)
    assert h.state == "evaluating"
    final = RunFinished("finished", 1, {"loss": 0.5}, 3.0)
    h.apply(final, now=23.0)
    assert h.state == "finished" and h.result is final and h.test == {"loss": 0.5}
    assert h.failure is None
    failed = RunHistory()
    failed.apply(RunFailed("nan", "the loss became NaN"), now=0.0)
    assert failed.state == "failed" and failed.failure is failed.result is not None


def test_a_first_step_means_running_and_a_stop_request_stays_stopping() -> None:
    h = RunHistory(state="starting")
    h.apply(StepDone(1, 1, 2, 1, 3.0, 50.0), now=0.0)
    assert h.state == "running"
    h.state = "stopping"  # the view's word for "a stop was asked"
    h.apply(StepDone(1, 2, 2, 2, 3.0, 50.0), now=0.0)
    assert h.state == "stopping"


def test_active_time_leaves_pauses_out_with_an_injected_clock() -> None:
    now = [100.0]
    h = RunHistory(clock=lambda: now[0])
    h.apply(started(linear(5, 0), wb=True, epochs=10, steps=10))
    now[0] = 110.0
    h.apply(StepDone(1, 10, 10, 10, 1.0, 1.0))
    assert h.elapsed(now[0]) == 10.0 and h.eta(now[0]) == pytest.approx(90.0)
    h.apply(Paused(2, 0))
    now[0] = 400.0
    assert h.elapsed(now[0]) == 10.0 and h.eta(now[0]) is None  # frozen while paused
    h.apply(Resumed(2, 0))
    now[0] = 410.0
    h.apply(RunFinished("stopped", 1, {}, 20.0))
    assert h.elapsed(999.0) == 20.0  # ended: the clock no longer moves it


def test_a_resumed_run_counts_only_its_own_steps_for_the_pace() -> None:
    h = RunHistory()
    h.apply(started(linear(5, 0), wb=True, start_epoch=2, epochs=4, steps=10), now=0.0)
    assert h.epochs_done == 2 and h.start_step == h.global_step == 20
    h.apply(StepDone(3, 10, 10, 30, 1.0, 1.0), now=10.0)
    assert h.eta(10.0) == pytest.approx(10.0)  # 10 steps in 10 s, 10 left


# ---- series ----------------------------------------------------------------------------------

def test_a_wb_model_has_w_and_b_from_epoch_0_with_true_values() -> None:
    h = RunHistory()
    h.apply(started(linear(5, 0), wb=True), now=0.0)
    for n, (w, b) in enumerate([(4.0, 1.0), (3.5, 1.5)], start=1):
        h.apply(epoch(n, linear(w, b)), now=0.0)
    assert h.weight_labels() == ["W", "b"]
    assert h.weight_curve("W") == ([0.0, 1.0, 2.0], [5.0, 4.0, 3.5])
    assert h.weight_curve("b") == ([0.0, 1.0, 2.0], [0.0, 1.0, 1.5])
    assert h.true_values() == {"W": 3.0, "b": 2.0}
    assert h.epoch_x == [1.0, 2.0] and h.val_loss_points == [(1.0, 1.1), (2.0, 1.1)]
    assert h.train_metrics == {"mae": [0.5, 0.5]}


def test_other_models_have_a_kernel_std_per_layer_and_no_true_values() -> None:
    h = RunHistory()
    h.apply(started(mlp(0.1), wb=False), now=0.0)
    h.apply(epoch(1, mlp(0.2)), now=0.0)
    assert h.weight_labels() == ["dense_1", "dense_2"]
    xs, ys = h.weight_curve("dense_2")
    assert xs == [0.0, 1.0] and ys[1] > ys[0] > 0
    assert h.true_values() == {}


def test_several_features_are_numbered() -> None:
    h = RunHistory()
    three = (LayerWeights("linear", stats(1.0, 2.0, 3.0), stats(0.5)),)
    h.apply(started(three, wb=True), now=0.0)
    assert list(h.initial_weights) == ["W1", "W2", "W3", "b"]


def test_step_losses_are_kept_short() -> None:
    h = RunHistory()
    for i in range(3 * MAX_STEP_POINTS):
        h.apply(StepDone(1, i + 1, 10, i + 1, float(i % 2), 1.0), now=0.0)
    assert len(h.step_x) <= MAX_STEP_POINTS and h.steps_seen == 3 * MAX_STEP_POINTS
    assert h.step_x[-1] == pytest.approx(3 * MAX_STEP_POINTS / 10)  # the latest is kept
    xs, ys = downsample([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0], 2)
    assert xs == [1.0, 3.0] and ys == [2.0, 6.0]


# ---- the codec and the W/b decision -----------------------------------------------------------

@pytest.mark.parametrize("event", [
    started(linear(5, 0), wb=True), StepDone(1, 2, 3, 4, 0.5, 9.0), epoch(2, linear(4, 1)),
    Paused(1, 2), Resumed(1, 2), Evaluating(), RunFinished("stopped", 1, {"loss": 1.0}, 2.0),
    RunFailed("io", "cannot write", 1, 2, {"text": "x"}),
], ids=lambda e: e.event)
def test_every_event_reads_back_as_it_was_written(event: object) -> None:
    assert from_dict(json.loads(to_json(event))) == event  # type: ignore[arg-type]


def test_lines_that_do_not_fit_are_none() -> None:
    for data in ({"event": "epoch_done", "epoch": "x"}, {"event": "nope"}, [1], "s",
                 {"event": "run_finished", "status": "exploded"}, {"event": "paused"},
                 {"event": "step_done", "epoch": -1}):
        assert from_dict(data) is None, data
    failed = from_dict({"event": "run_failed", "kind": "weird", "message": 3})
    assert isinstance(failed, RunFailed) and failed.kind == "error" and failed.message == "3"


def test_old_lines_get_the_wb_decision_once_from_their_weights() -> None:
    line = json.loads(to_json(started(linear(5, 0), wb=True)))
    del line["wb_model"]
    assert from_dict(line).wb_model is True  # type: ignore[union-attr]
    line["initial_weights"] = [json.loads(json.dumps(w.__dict__, default=vars))
                               for w in mlp(0.1)]
    assert from_dict(line).wb_model is False  # type: ignore[union-attr]
    del line["initial_weights"]
    assert from_dict(line).wb_model is None  # type: ignore[union-attr]  # replay decides


def test_wb_model_of() -> None:
    assert wb_model_of(linear(1, 2))
    assert wb_model_of((LayerWeights("l", stats(1, 2, 3, 4), stats(0)),))
    assert not wb_model_of((LayerWeights("l", stats(1, 2, 3, 4, 5), stats(0)),))
    assert not wb_model_of(mlp(0.1)) and not wb_model_of(())
    assert not wb_model_of((LayerWeights("l", stats(*range(20)), stats(0)),))  # no values
