"""Steering a run (issue 11): schedules against Keras' own, the plateau and early-stopping
rules, restore_best, clipping, live learning-rate changes through the control (and kept by a
resume), stop rules, and the spec/CLI faces of the new settings."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ktui.core import spec as specmod
from ktui.core.events import EpochDone, LrChanged, RunFinished
from ktui.core.session import start_run
from ktui.core.spec.presets import get_preset
from ktui.core.spec.steering import EarlyStoppingSpec, ScheduleSpec, parse_stop_when
from ktui.core.training.control import TrainerControl
from ktui.core.training.loop import train
from ktui.core.training.schedules import LearningRate, base_schedule, make_steered_rate
from ktui.core.training.steps import Clipping
from ktui.core.training.stopping import EarlyStopper, Plateau, budget_reason, target_reason


class Recorder(list):
    def of(self, kind):
        return [e for e in self if isinstance(e, kind)]


def _linear(epochs: int = 6, **train):
    spec = get_preset("linear-gd")  # full batch, sgd lr 0.1, W from 5 and b from 0
    spec.train.epochs = epochs
    for key, value in train.items():
        setattr(spec.train, key, value)
    return spec


def _wb(event: EpochDone) -> list[float]:
    layer = event.weights[0]
    return [*layer.kernel.values, *layer.bias.values]


# ---- schedules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("schedule", "keras_schedule"), [
    (ScheduleSpec(kind="step", every=2, factor=0.5),
     keras.optimizers.schedules.ExponentialDecay(0.1, 2 * 5, 0.5, staircase=True)),
    (ScheduleSpec(kind="exponential", decay_steps=3, decay_rate=0.8),
     keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.8)),
    (ScheduleSpec(kind="exponential", decay_rate=0.8),  # decay_steps 0 = one epoch (5 steps)
     keras.optimizers.schedules.ExponentialDecay(0.1, 5, 0.8)),
    (ScheduleSpec(kind="cosine", alpha=0.1),  # decay_steps 0 = the whole run (40 steps)
     keras.optimizers.schedules.CosineDecay(0.1, 40, alpha=0.1)),
    (ScheduleSpec(kind="cosine", alpha=0.1, warmup_steps=4, decay_steps=20),
     keras.optimizers.schedules.CosineDecay(0.0, 20, alpha=0.1, warmup_target=0.1,
                                            warmup_steps=4)),
])
def test_schedules_step_as_keras_schedules(schedule: ScheduleSpec, keras_schedule) -> None:
    base = base_schedule(keras, schedule, 0.1, steps_per_epoch=5, total_steps=40)
    rate = make_steered_rate(keras, tf, base)
    for step in (0, 1, 4, 9, 10, 19, 23, 39, 55):
        assert float(rate(step)) == pytest.approx(float(keras_schedule(step)), rel=1e-6)
    rate.scale.assign(0.5)  # the host's scale multiplies the curve
    assert float(rate(9)) == pytest.approx(0.5 * float(keras_schedule(9)), rel=1e-6)


def test_constant_and_plateau_are_the_learning_rate() -> None:
    for kind in ("constant", "plateau"):
        assert base_schedule(keras, ScheduleSpec(kind=kind), 0.03, 5, 40) == 0.03


def test_learning_rate_set_and_multiply_follow_the_schedule() -> None:
    base = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    optimizer = keras.optimizers.SGD(learning_rate=make_steered_rate(keras, tf, base))
    rate = LearningRate(optimizer, optimizer._learning_rate)
    assert rate.current() == pytest.approx(0.1)
    assert rate.set(0.02) == pytest.approx(0.02)
    assert rate.multiply(2) == pytest.approx(0.04)
    optimizer.iterations.assign(10)  # the curve halves; the user's scale stays
    assert rate.current() == pytest.approx(0.02)


# ---- host rules -----------------------------------------------------------------------------

def _keras_plateau_drops(values: list[float], lr: float, **kwargs) -> list[tuple[int, float]]:
    """Keras' own ReduceLROnPlateau over the same epochs (a model that is only an optimizer)."""
    optimizer = keras.optimizers.SGD(learning_rate=lr)
    callback = keras.callbacks.ReduceLROnPlateau(**kwargs)
    callback.set_model(type("Model", (), {"optimizer": optimizer})())
    callback.on_train_begin()
    drops = []
    for epoch, value in enumerate(values, start=1):
        before = float(optimizer.learning_rate)
        callback.on_epoch_end(epoch - 1, {kwargs["monitor"]: value})
        after = float(optimizer.learning_rate)
        if not math.isclose(after, before):
            drops.append((epoch, after))
    return drops


@pytest.mark.parametrize(("monitor", "values"), [
    ("val_loss", [1.0, 0.9, 0.895, 0.899, 0.898, 0.897, 0.896, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
    ("val_accuracy", [0.5, 0.6, 0.6, 0.6, 0.61, 0.7, 0.69, 0.68, 0.7, 0.7, 0.8, 0.8, 0.8]),
])
def test_plateau_decides_as_keras_reduce_lr_on_plateau(monitor: str, values: list[float]
                                                       ) -> None:
    settings = {"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": 0.02, "min_delta": 0.01}
    plateau = Plateau(ScheduleSpec(kind="plateau", monitor=monitor, **settings))
    lr, drops = 0.1, []
    for epoch, value in enumerate(values, start=1):
        new = plateau.new_rate({monitor: value}, epoch, lr)
        if new is not None:
            drops.append((epoch, new))
            lr = new
    mode = "max" if monitor.endswith("accuracy") else "min"  # Keras' auto needs a compiled model
    expected = _keras_plateau_drops(values, 0.1, monitor=monitor, mode=mode, **settings)
    assert len(expected) >= 2  # the sequence exercises drops, cooldown and the floor
    assert [e for e, _ in drops] == [e for e, _ in expected]
    assert [v for _, v in drops] == pytest.approx([v for _, v in expected], rel=1e-6)


def test_plateau_ignores_a_missing_monitor() -> None:
    plateau = Plateau(ScheduleSpec(kind="plateau", patience=0))
    assert plateau.new_rate({"val_loss": None, "loss": 1.0}, 1, 0.1) is None


@pytest.mark.parametrize(("monitor", "values", "stop_epoch", "best"), [
    ("val_loss", [1.0, 0.8, 0.85, 0.81, 0.9], 5, (0.8, 2)),
    ("val_accuracy", [0.5, 0.7, 0.69, 0.7, 0.71], None, (0.71, 5)),
    ("val_accuracy", [0.5, 0.7, 0.69, 0.7, 0.6], 5, (0.7, 2)),
])
def test_early_stopping_rule(monitor: str, values: list[float], stop_epoch: int | None,
                             best: tuple[float, int]) -> None:
    stopper = EarlyStopper(EarlyStoppingSpec(enabled=True, monitor=monitor, patience=3))
    stopped = None
    for epoch, value in enumerate(values, start=1):
        _, reason = stopper.update({monitor: value}, epoch)
        if reason:
            stopped = epoch
            assert reason.startswith(f"early stop at epoch {epoch}: {monitor} did not improve")
            assert f"(best {best[0]:.4g} at epoch {best[1]})" in reason
            break
    assert stopped == stop_epoch
    assert (stopper.best.value, stopper.best.epoch) == best


def test_stop_targets_and_budget() -> None:
    target = parse_stop_when("val_accuracy >= 0.9")
    assert target_reason(target, {"val_accuracy": 0.89}, 3) == ""
    assert target_reason(target, {"val_accuracy": 0.9}, 4).startswith("target reached at epoch 4")
    assert target_reason(parse_stop_when("loss<=0.5"), {"loss": 0.4}, 2)
    assert budget_reason(1.0, 59.0, 3) == "" and budget_reason(0.0, 1e9, 3) == ""
    assert budget_reason(1.0, 61.0, 3).startswith("time budget reached at epoch 3")


def test_clipping_bounds_the_global_norm_and_values() -> None:
    grads = [tf.constant([3.0, -4.0]), tf.constant([[12.0]])]  # global norm 13
    clipped = Clipping(norm=1.3)(grads)
    assert float(tf.linalg.global_norm(clipped)) == pytest.approx(1.3, rel=1e-6)
    np.testing.assert_allclose(clipped[0].numpy(), [0.3, -0.4], rtol=1e-6)  # same direction
    by_value = Clipping(value=3.5)(grads)
    assert by_value[0].numpy().tolist() == [3.0, -3.5] and by_value[1].numpy().tolist() == [[3.5]]
    assert Clipping(norm=100.0)(grads)[1].numpy().tolist() == [[12.0]]  # under: unchanged


# ---- in a run -------------------------------------------------------------------------------

@pytest.mark.slow
def test_clip_norm_limits_the_first_update() -> None:
    events = Recorder()
    train(_linear(1, clip_norm=1e-3), events.append)
    before = events[0].initial_weights[0]
    moved = np.subtract(_wb(events.of(EpochDone)[0]), [*before.kernel.values,
                                                       *before.bias.values])
    assert float(np.linalg.norm(moved)) == pytest.approx(0.1 * 1e-3, rel=1e-3)  # lr × clip


@pytest.mark.slow
def test_plateau_in_a_run_drops_the_rate_and_says_so() -> None:
    spec = _linear(5)
    spec.train.schedule = ScheduleSpec(kind="plateau", monitor="loss", patience=1,
                                       min_delta=1e6, factor=0.5)  # never "improves"
    events = Recorder()
    train(spec, events.append)
    lrs = [e.lr for e in events.of(EpochDone)]
    # epoch 1 sets the best; from epoch 2 on no epoch improves: a drop after each
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.025, 0.0125])
    changes = events.of(LrChanged)
    assert [(c.epoch, c.source) for c in changes] == [(e, "plateau") for e in range(2, 6)]
    assert changes[0].previous == pytest.approx(0.1) and changes[0].lr == pytest.approx(0.05)


@pytest.mark.slow
def test_early_stopping_restores_the_best_weights_before_test_and_save(tmp_path) -> None:
    spec = _linear(20)
    spec.train.early_stopping = EarlyStoppingSpec(enabled=True, monitor="loss", patience=2,
                                                  min_delta=1e6, restore_best=True)
    events = Recorder()
    handle = start_run(spec, [events.append], runs_root=tmp_path)
    final = handle.join(120)
    assert isinstance(final, RunFinished) and final.status == "finished"
    assert final.epochs_done == 3
    assert final.reason.startswith("early stop at epoch 3: loss did not improve")
    assert final.reason.endswith("weights restored from epoch 1")
    model = keras.saving.load_model(handle.run_dir.model_file)
    saved = [float(v) for w in model.weights for v in np.ravel(w.numpy())]
    assert saved == pytest.approx(_wb(events.of(EpochDone)[0]), abs=1e-6)
    assert handle.run_dir.read_summary().reason == final.reason


@pytest.mark.slow
def test_without_restore_the_last_weights_stay() -> None:
    spec = _linear(20)
    spec.train.early_stopping = EarlyStoppingSpec(enabled=True, monitor="loss", patience=2,
                                                  min_delta=1e6)
    events = Recorder()
    final = train(spec, events.append)
    assert final.epochs_done == 3 and "restored" not in final.reason


@pytest.mark.slow
def test_stop_when_and_max_minutes_end_the_run_as_finished() -> None:
    final = train(_linear(10, stop_when="val_loss <= 1e9"), Recorder().append)
    assert (final.status, final.epochs_done) == ("finished", 1)
    assert final.reason.startswith("target reached at epoch 1: val_loss")
    assert final.test  # the test set is still evaluated
    final = train(_linear(10, max_minutes=1e-9), Recorder().append)
    assert final.epochs_done == 1 and final.reason.startswith("time budget reached at epoch 1")


@pytest.mark.slow
def test_live_learning_rate_change_applies_to_the_next_step_and_survives_resume(
        tmp_path) -> None:
    control = TrainerControl()
    control.set_lr(0.05)   # before the first step: it is applied there
    control.multiply_lr(2)  # a later request combines with it: 0.05 × 2
    events = Recorder()
    handle = start_run(_linear(2), [events.append], runs_root=tmp_path, control=control)
    handle.join(120)
    change = events.of(LrChanged)[0]
    assert (change.epoch, change.step, change.source) == (1, 0, "user")
    assert (change.previous, change.lr) == pytest.approx((0.1, 0.1))
    assert [e.lr for e in events.of(EpochDone)] == pytest.approx([0.1, 0.1])
    control2 = TrainerControl()
    control2.set_lr(0.02)
    events2 = Recorder()
    start_run(_linear(4), [events2.append], control=control2, record=False).join(120)
    assert [e.lr for e in events2.of(EpochDone)] == pytest.approx([0.02] * 4)
    # resume a run whose rate was changed: it keeps the changed rate
    control3 = TrainerControl()
    events3 = Recorder()
    first = start_run(_linear(2), [events3.append], runs_root=tmp_path, control=control3)
    control3.set_lr(0.03)
    first.join(120)
    rates = [e.lr for e in events3.of(EpochDone)]
    assert rates[-1] == pytest.approx(0.03)
    events4 = Recorder()
    resumed_spec = _linear(4)
    start_run(resumed_spec, [events4.append], run=first.run_dir, resume=True).join(120)
    assert [e.epoch for e in events4.of(EpochDone)] == [3, 4]
    assert [e.lr for e in events4.of(EpochDone)] == pytest.approx([0.03, 0.03])


def test_request_combination_rules() -> None:
    control = TrainerControl()
    control.multiply_lr(2)
    control.multiply_lr(2)
    assert control.take_lr_request() == ("multiply", 4.0)
    assert control.take_lr_request() is None
    control.set_lr(0.5)
    control.multiply_lr(0.5)
    assert control.take_lr_request() == ("set", 0.25)


# ---- spec and CLI faces ---------------------------------------------------------------------

def test_steering_tables_round_trip_and_are_checked() -> None:
    spec = _linear(3, clip_norm=1.0, stop_when="val_loss <= 0.5", max_minutes=2.5,
                   weight_decay=0.01)
    spec.train.optimizer = "adamw"
    spec.train.schedule = ScheduleSpec(kind="cosine", warmup_steps=3)
    spec.train.early_stopping = EarlyStoppingSpec(enabled=True, patience=4, restore_best=True)
    again = specmod.loads(specmod.dumps(spec))
    assert again.train.schedule == spec.train.schedule
    assert again.train.early_stopping == spec.train.early_stopping
    assert (again.train.stop_when, again.train.optimizer) == ("val_loss <= 0.5", "adamw")
    assert specmod.validate(again) == []
    with pytest.raises(specmod.SpecError) as err:
        specmod.loads('[dataset]\nkind = "linear"\n[[layers]]\nkind = "Dense"\nunits = 1\n'
                      '[train.schedule]\nkind = "cosine"\nwarmup = 3\n')
    assert any(e.startswith("train.schedule.warmup: unknown key") for e in err.value.errors)
    spec.train.schedule.factor = 0.0
    spec.train.early_stopping.monitor = "val_acc"
    spec.train.stop_when = "accuracy > 0.9"
    problems = specmod.validate(spec)
    assert any(p.startswith("train.schedule.factor:") for p in problems)
    assert any(p.startswith("train.early_stopping.monitor: must be one of") for p in problems)
    assert any(p.startswith("train.stop_when: must be NAME >= NUMBER") for p in problems)


def test_cli_flags_reach_the_spec() -> None:
    from ktui.cli.common import load_spec
    from ktui.cli.parser import build_parser

    args = build_parser().parse_args([
        "train", "--preset", "linear-gd", "--schedule", "plateau", "--early-stopping", "4",
        "--restore-best", "--clip-norm", "2", "--clip-value", "0.5", "--optimizer", "adamw",
        "--weight-decay", "0.004", "--nesterov", "--stop-when", "val_loss<=0.2",
        "--max-minutes", "30"])
    t = load_spec(args).train
    assert (t.schedule.kind, t.early_stopping.enabled, t.early_stopping.patience) == (
        "plateau", True, 4)
    assert t.early_stopping.restore_best and t.nesterov
    assert (t.clip_norm, t.clip_value, t.optimizer, t.weight_decay) == (2, 0.5, "adamw", 0.004)
    assert (t.stop_when, t.max_minutes) == ("val_loss<=0.2", 30)


def test_weight_decay_and_nesterov_reach_the_optimizer() -> None:
    from ktui.core.training.assemble import make_optimizer

    t = _linear(1, weight_decay=0.01, nesterov=True, momentum=0.9).train
    optimizer, rate = make_optimizer(t, 1, 1)
    assert optimizer.weight_decay == pytest.approx(0.01) and optimizer.nesterov
    assert math.isclose(rate.current(), 0.1, rel_tol=1e-6)
    plain, _ = make_optimizer(_linear(1).train, 1, 1)
    assert plain.weight_decay is None and not plain.nesterov  # off: exactly as before


# ---- export ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["plateau+early_stop+restore", "cosine+clip+target"])
@pytest.mark.slow
def test_exported_script_steers_as_the_run(tmp_path, case: str) -> None:
    """The script holds ktui's own schedule/plateau/early-stopping code: it ends at the same
    epoch for the same reason, with the same losses, rates and test score."""
    from test_export import _assert_reproduced, _run_script

    from ktui.core.export import export_script
    from ktui.core.runs.rundir import RunDir

    spec = get_preset("linear-functional")
    spec.train.epochs = 12
    if case.startswith("plateau"):
        spec.train.schedule = ScheduleSpec(kind="plateau", monitor="val_loss", patience=1,
                                           min_delta=0.05, factor=0.5)
        spec.train.early_stopping = EarlyStoppingSpec(enabled=True, monitor="val_loss",
                                                      patience=3, min_delta=0.05,
                                                      restore_best=True)
    else:
        spec.train.schedule = ScheduleSpec(kind="cosine", warmup_steps=3, alpha=0.1)
        spec.train.clip_norm = 0.5
        spec.train.stop_when = "val_loss <= 1.1"
    run = RunDir.create(tmp_path / "runs", spec)
    final = start_run(spec, [], run=run).join(120)
    assert isinstance(final, RunFinished)
    assert final.reason and final.epochs_done < 12, final  # a rule ended it
    path = tmp_path / "exported.py"
    path.write_text(export_script(run.spec(), run_name=run.name), encoding="utf-8")
    out = _run_script(path, tmp_path)
    assert final.reason in out, out
    _assert_reproduced(run, out)  # every metrics.csv value (lr too) and the test score


@pytest.mark.parametrize(("patience", "cooldown"), [(1, 0), (2, 0), (1, 2), (3, 2)])
def test_plateau_cooldown_and_patience_as_keras(patience: int, cooldown: int) -> None:
    """Long plateaus: several drops, each followed by its cooldown, counted as Keras does."""
    values = [1.0] + [1.0] * 12 + [0.5] + [0.5] * 8
    settings = {"factor": 0.5, "patience": patience, "cooldown": cooldown, "min_lr": 1e-4,
                "min_delta": 0.0}
    plateau = Plateau(ScheduleSpec(kind="plateau", monitor="val_loss", **settings))
    lr, drops = 0.1, []
    for epoch, value in enumerate(values, start=1):
        new = plateau.new_rate({"val_loss": value}, epoch, lr)
        if new is not None:
            drops.append((epoch, new))
            lr = new
    expected = _keras_plateau_drops(values, 0.1, monitor="val_loss", mode="min", **settings)
    assert len(expected) >= 3
    assert [e for e, _ in drops] == [e for e, _ in expected]
    assert [v for _, v in drops] == pytest.approx([v for _, v in expected], rel=1e-6)
