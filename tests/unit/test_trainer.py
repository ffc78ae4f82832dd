"""The GradientTape trainer: seed numbers, determinism, NaN handling, controls, presets."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ktui.core.events import EpochDone, Paused, Resumed, RunFailed, RunFinished, RunStarted
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import PRESETS, get_preset
from ktui.core.training.control import TrainerControl
from ktui.core.training.loop import train


class Recorder:
    def __init__(self, on_event=None) -> None:
        self.events: list = []
        self.on_event = on_event

    def __call__(self, event) -> None:
        self.events.append(event)
        if self.on_event:
            self.on_event(event)

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


def _wb(event: EpochDone) -> tuple[tuple[float, ...], float]:
    layer = event.weights[0]
    return layer.kernel.values, layer.bias.values[0]


@pytest.mark.slow
def test_linear_gd_reproduces_seed_000() -> None:
    """W starts at 5 and b at 0; full-batch GD with lr 0.1 moves them towards 3 and 2."""
    rec = Recorder()
    final = train(get_preset("linear-gd"), rec)
    assert isinstance(final, RunFinished) and final.status == "finished"
    epochs = rec.of(EpochDone)
    assert len(epochs) == 10
    ws = [_wb(e)[0][0] for e in epochs]
    bs = [_wb(e)[1] for e in epochs]
    assert ws[0] < 5.0 and all(a > b for a, b in zip(ws, ws[1:], strict=False))  # W falls
    assert all(a < b for a, b in zip(bs, bs[1:], strict=False))  # b rises
    assert 3.1 < ws[-1] < 3.45 and 1.6 < bs[-1] < 1.95  # the seed ends near W=3.3, b=1.8
    losses = [e.loss for e in epochs]
    assert losses[-1] < losses[0] / 5
    started = rec.of(RunStarted)[0]
    assert started.true_weights == (3.0,) and started.true_bias == 2.0
    assert set(final.test) == {"loss", "mae"}


@pytest.mark.slow
def test_linear_subclassed_reproduces_seed_003_numbers() -> None:
    """Seed 003 (the TF guide) prints kernel [0.4078, 1.1911, 1.9743] and bias 0.7832."""
    rec = Recorder()
    train(get_preset("linear-subclassed"), rec)
    kernel, bias = _wb(rec.of(EpochDone)[-1])
    np.testing.assert_allclose(kernel, [0.40784496, 1.191065, 1.9742855], atol=1e-4)
    assert bias == pytest.approx(0.78322077, abs=1e-4)


def _short(name: str, epochs: int = 2):
    spec = get_preset(name)
    spec.train.epochs = epochs
    return spec


@pytest.mark.slow
def test_same_seed_same_numbers_and_other_seed_differs() -> None:
    def run(seed: int) -> list[float]:
        spec = _short("linear-functional", 2)
        spec.train.seed = seed
        spec.layers = [LayerSpec("Dense", {"units": 4, "activation": "tanh"}),
                       LayerSpec("Dropout", {"rate": 0.2}), LayerSpec("Linear", {"units": 1})]
        rec = Recorder()
        train(spec, rec)
        return [e.loss for e in rec.of(EpochDone)] + [e.val_loss for e in rec.of(EpochDone)]

    first, second, other = run(7), run(7), run(8)
    assert first == second
    assert first != other


@pytest.mark.parametrize("name", [n for n in PRESETS if n.startswith("linear")])
@pytest.mark.slow
def test_linear_presets_train_a_few_epochs(name: str) -> None:
    rec = Recorder()
    final = train(_short(name), rec)
    assert isinstance(final, RunFinished), final
    assert len(rec.of(EpochDone)) == 2


@pytest.mark.integration
@pytest.mark.parametrize("name", ["fashion-mlp", "fashion-cnn"])
@pytest.mark.slow
def test_fashion_presets_train_a_few_steps(name: str, needs_fashion) -> None:
    spec = _short(name, 1)
    spec.dataset.samples = 512
    rec = Recorder()
    final = train(spec, rec)
    assert isinstance(final, RunFinished), final
    epoch = rec.of(EpochDone)[0]
    assert 0.0 <= epoch.metrics["accuracy"] <= 1.0 and np.isfinite(epoch.loss)
    assert 0.0 <= final.test["accuracy"] <= 1.0


@pytest.mark.slow
def test_classification_metrics_and_losses_run(tmp_path) -> None:
    """Every classification loss and metric works end to end (on tiny fake IDX data)."""
    from idx_files import make_fashion

    make_fashion(tmp_path, n_train=300, n_test=60)
    for loss in ("kl_divergence", "cosine_similarity", "sparse_categorical_crossentropy"):
        spec = _short("fashion-mlp", 1)
        spec.dataset.samples = 200
        spec.train.loss = loss
        spec.train.metrics = ["accuracy", "auc", "precision", "recall"]
        rec = Recorder()
        final = train(spec, rec, data_dir=str(tmp_path))
        assert isinstance(final, RunFinished), final
        assert set(rec.of(EpochDone)[0].val_metrics) == {"accuracy", "auc", "precision",
                                                         "recall"}


@pytest.mark.slow
def test_nan_loss_stops_and_keeps_last_good_weights() -> None:
    spec = _short("linear-gd", 50)
    spec.train.learning_rate = 5.0  # diverges: W overshoots further every step
    rec = Recorder()
    final = train(spec, rec)
    assert isinstance(final, RunFailed) and final.kind == "nan"
    assert "NaN" in final.message and "learning rate" in final.message
    epochs = rec.of(EpochDone)
    assert epochs, "some epochs were finite before it blew up"
    kernel, bias = _wb(epochs[-1])
    assert np.isfinite(kernel).all() and np.isfinite(bias)
    assert rec.events[-1] is final


@pytest.mark.slow
def test_stop_from_another_thread_takes_effect_within_a_batch() -> None:
    control = TrainerControl()
    spec = _short("linear-functional", 1000)

    def on_event(event) -> None:
        if isinstance(event, EpochDone) and event.epoch == 3:
            threading.Thread(target=control.stop).start()

    rec = Recorder(on_event)
    final = train(spec, rec, control)
    assert isinstance(final, RunFinished) and final.status == "stopped"
    assert 3 <= final.epochs_done <= 4
    assert final.test == {}


@pytest.mark.slow
def test_pause_single_step_and_resume() -> None:
    control = TrainerControl()
    spec = _short("linear-functional", 2)
    spec.train.log_every = 1
    seen: dict[str, int] = {}

    def on_event(event) -> None:
        if isinstance(event, RunStarted):
            control.pause()
        if isinstance(event, Paused) and "paused" not in seen:
            seen["paused"] = len(rec.events)

            def later() -> None:
                control.step()  # one batch, then paused again
                threading.Timer(0.3, control.resume).start()

            threading.Timer(0.2, later).start()

    rec = Recorder(on_event)
    final = train(spec, rec, control)
    assert isinstance(final, RunFinished) and final.status == "finished"
    kinds = [type(e).__name__ for e in rec.events]
    first_pause = kinds.index("Paused")
    # Nothing ran before the first pause; exactly one step ran between pause and resume.
    assert "StepDone" not in kinds[:first_pause]
    between = kinds[first_pause:kinds.index("Resumed")]
    assert between.count("StepDone") == 1
    assert len(rec.of(Resumed)) == 1
    assert len(rec.of(EpochDone)) == 2


def test_invalid_spec_fails_before_training() -> None:
    spec = get_preset("linear-gd")
    spec.layers.append(LayerSpec("Reshape", {"target_shape": [2]}))
    rec = Recorder()
    final = train(spec, rec)
    assert isinstance(final, RunFailed) and final.kind == "spec"
    assert "layer 2 (Reshape)" in final.message
    assert not rec.of(RunStarted)


def test_missing_data_is_a_clear_failure(tmp_path) -> None:
    final = train(get_preset("fashion-mlp"), Recorder(), data_dir=str(tmp_path))
    assert isinstance(final, RunFailed) and final.kind == "data"
    assert str(tmp_path) in final.message


def test_gpu_request_without_gpu_fails_clearly() -> None:
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    spec = _short("linear-gd", 1)
    spec.train.device = "gpu"
    final = train(spec, Recorder())
    assert isinstance(final, RunFailed) and "no GPU" in final.message
